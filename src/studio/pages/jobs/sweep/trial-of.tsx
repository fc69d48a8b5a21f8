// On a trial's page: which sweep it belongs to (a link back), its place in it, the values it was
// given and, when the sweep's early-termination policy stopped it, why.
import type { Job } from '../../../../protocol/job.ts';
import { jobPage } from '../../../format.ts';
import { Link } from '../../../router.tsx';
import { showParam } from './trials.ts';
import './sweep.css';

export function TrialOf({ job }: { job: Job }) {
  // A pipeline's step has facts of another shape: its banner is the pipeline's.
  const t = job.child && 'sweep' in job.child ? job.child : undefined;
  const sweep = t?.sweep;
  if (!sweep) return null;
  return (
    <section className="card trial-of" aria-label="Sweep trial">
      <p>
        Trial <strong>{t?.index ?? '?'}</strong> of sweep <Link to={`${jobPage(sweep)}?tab=trials`}>{sweep}</Link>
        {t?.stopped_early ? (
          <span className="stop-reason">
            {' '}
            · stopped early at interval {t.stopped_early.interval}: {t.stopped_early.reason}
          </span>
        ) : null}
      </p>
      {t && Object.keys(t.params).length ? (
        <ul className="trial-params" aria-label="Trial params">
          {Object.entries(t.params).map(([k, v]) => (
            <li key={k} data-param={k}>
              <span className="mono">{k}</span> = <span className="mono">{showParam(v)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
