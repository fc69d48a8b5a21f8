// A pipeline's steps as a graph (SVG): one node per step in layers by dependency depth, an edge from
// each step to every step that needs it. A node shows the step's status (coloured), duration and,
// when an earlier job stood in for it, which; a step that has a job links to its page.
import { useMemo } from 'react';
import type { PipelineStepView } from '../../../../protocol/pipeline-spec.ts';
import { duration, jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';
import { fit, layoutSteps, NODE_H, NODE_W, statusTone, type PlacedStep } from './layout.ts';
import './pipeline.css';

export const statusLabel = (s: string) => (s === 'NotStarted' ? 'Not started' : s);

export function PipelineGraph({ steps }: { steps: PipelineStepView[] }) {
  const g = useMemo(() => layoutSteps(steps), [steps]);
  return (
    <div className="pipeline-graph-wrap">
      <svg className="pipeline-graph" role="group" aria-label="Pipeline graph" width={g.width} height={g.height} viewBox={`0 0 ${g.width} ${g.height}`} data-nodes={g.nodes.length} data-edges={g.edges.length} data-layers={g.layers}>
        <defs>
          <marker id="pipeline-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        </defs>
        <g className="edges">
          {g.edges.map((e) => (
            <path key={`${e.from}>${e.to}`} className="edge" d={e.d} markerEnd="url(#pipeline-arrow)" data-from={e.from} data-to={e.to} />
          ))}
        </g>
        {g.nodes.map((n) => (
          <StepNode key={n.step.name} node={n} />
        ))}
      </svg>
    </div>
  );
}

function StepNode({ node: { step: s, layer, x, y } }: { node: PlacedStep }) {
  const tip = [`${s.name}: ${statusLabel(s.status)}`, s.status_reason, s.depends_on.length ? `after ${s.depends_on.join(', ')}` : null].filter(Boolean).join('\n');
  const body = (
    <>
      <title>{tip}</title>
      <rect width={NODE_W} height={NODE_H} rx={6} />
      <rect className="tone" width={5} height={NODE_H} rx={2} />
      <text className="step-name" x={14} y={20}>
        {fit(s.name, 24)}
      </text>
      <text className="step-status" x={14} y={38}>
        {statusLabel(s.status)}
        {s.job_name ? ` · ${duration(s.duration_seconds)}` : ''}
      </text>
      {s.reused_from ? (
        <text className="step-reused" x={14} y={55}>
          reused from {fit(s.reused_from, 20)}
        </text>
      ) : null}
    </>
  );
  return (
    <g className={`step-node ${statusTone(s.status)}`} transform={`translate(${x},${y})`} data-step={s.name} data-layer={layer} data-status={s.status} data-reused-from={s.reused_from ?? undefined}>
      {s.job_name ? (
        <Link to={jobPage(s.job_name)} aria-label={`step ${s.name}: ${statusLabel(s.status)}, job ${s.job_name}`}>
          {body}
        </Link>
      ) : (
        body
      )}
    </g>
  );
}
