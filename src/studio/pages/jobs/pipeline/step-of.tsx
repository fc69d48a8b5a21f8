// On a pipeline step's page: which pipeline it is a step of (a link back to its graph) and, when an
// earlier job's outputs stood in for it, that job.
import type { Job } from '../../../../protocol/job.ts';
import { jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';
import './pipeline.css';

export function StepOf({ job }: { job: Job }) {
  const t = job.child && 'pipeline' in job.child ? job.child : undefined;
  if (!t) return null;
  return (
    <section className="card step-of" aria-label="Pipeline step">
      <p>
        Step <strong className="mono">{t.step}</strong> of pipeline <Link to={jobPage(t.pipeline)}>{t.pipeline}</Link>
        {t.reused_from ? (
          <span className="step-reused-from">
            {' '}
            · reused from <Link to={jobPage(t.reused_from)}>{t.reused_from}</Link>: its outputs stand for this step’s
          </span>
        ) : null}
      </p>
    </section>
  );
}
