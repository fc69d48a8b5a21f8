// A pipeline's Graph tab, the first of its page: the steps drawn as a graph, then in a table, then
// the pipeline's outputs. The job page reads the pipeline again every two seconds until it ends,
// and all follow.
import type { PipelineView } from '../../../../protocol/pipeline-spec.ts';
import { PipelineGraph } from './pipeline-graph.tsx';
import { StepsTable } from './steps-table.tsx';
import { OutputsTable } from './outputs-table.tsx';

export function PipelineTab({ name, view }: { name: string; view: PipelineView }) {
  const { steps, outputs } = view;
  return (
    <>
      <section className="card" aria-label="Graph">
        <h2>Graph</h2>
        <p className="muted pipeline-legend">
          {steps.length} step{steps.length === 1 ? '' : 's'}, each below the steps it needs. Click a step to open its job.
        </p>
        {steps.length ? <PipelineGraph steps={steps} /> : <p className="muted">This pipeline has no steps.</p>}
      </section>
      <section className="card" aria-label="Steps">
        <h2>Steps</h2>
        <StepsTable steps={steps} />
      </section>
      {outputs.length ? (
        <section className="card" aria-label="Outputs">
          <h2>Outputs</h2>
          <OutputsTable pipeline={name} outputs={outputs} />
        </section>
      ) : null}
    </>
  );
}
