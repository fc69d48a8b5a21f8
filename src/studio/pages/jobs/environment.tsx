// What the job ran with: the environment as resolved at submit, what the node built or reused for
// it, and the build's own output (the log's system stream, where the agent writes it).
import { duration } from '../../format.ts';
import { Link } from '../../router.tsx';
import { Loading, Props } from '../../ui.tsx';
import type { Job } from '../../../protocol/job.ts';
import type { FeedState, LogFeed } from './logs/log-feed.ts';
import { LogPanel } from './logs/log-panel.tsx';
import { CodeText } from './file-viewer.tsx';

const KIND_WORDS: Record<string, string> = {
  user_managed: 'user-managed: the node’s own Python, as it is',
  conda: 'conda file: built once per content hash, cached on the node',
  image: 'container image',
  build: 'image built from a Dockerfile',
};

export function EnvironmentTab({ job, feed, state }: { job: Job; feed: LogFeed | null; state: FeedState | null }) {
  const env = job.environment_details;
  const rec = env?.record;
  const registered = env?.ref && /^[^:@]+:[^:@]+$/.test(env.ref) ? env.ref.split(':')[0] : null;
  return (
    <>
      <section className="card">
        <h2>Environment</h2>
        {env ? (
          <>
            <Props
              rows={[
                ['Kind', KIND_WORDS[env.kind] ?? env.kind],
                ['Environment', env.ref ? registered ? <Link to={`/environments/${encodeURIComponent(registered)}`}>{env.ref}</Link> : env.ref : job.environment ? 'inline in the job file' : 'none given'],
                ['Image', env.image ? <span className="mono">{env.image}</span> : null],
                ['Dockerfile', env.build ? <span className="mono">{env.build.dockerfile_path}</span> : null],
                ['Python', env.python_path ? <span className="mono">{env.python_path}</span> : null],
                ['Spec hash', env.spec_hash ? <span className="mono">{env.spec_hash.slice(0, 12)}</span> : null],
              ]}
            />
            {env.warnings?.length ? (
              <ul className="warnings">
                {env.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            ) : null}
            {env.conda_file ? (
              <>
                <h3>Conda file</h3>
                <CodeText text={JSON.stringify(env.conda_file, null, 2)} />
              </>
            ) : null}
          </>
        ) : (
          <p className="muted">This job was made before environments were recorded.</p>
        )}
      </section>
      <section className="card">
        <h2>On the node</h2>
        {rec ? (
          <>
            <Props
              rows={[
                ['Made with', rec.builder],
                ['Built', rec.builder === 'none' ? 'nothing to build: the node’s own Python' : rec.built ? `yes, for this attempt${rec.build_seconds !== undefined ? ` (${duration(rec.build_seconds)})` : ''}` : 'no: reused from the node’s cache'],
                ['Ready after', rec.ready_ms !== undefined ? `${Math.round(rec.ready_ms)} ms` : null],
                ['Python', rec.python ? <span className="mono">{rec.python}</span> : null],
                ['Interpreter', rec.interpreter ? <span className="mono">{rec.interpreter}</span> : null],
                ['Image id', rec.image_id ? <span className="mono">{rec.image_id.slice(0, 19)}</span> : null],
                ['Cache key', <span className="mono">{rec.hash.slice(0, 12)}</span>],
              ]}
            />
            {rec.packages.length ? (
              <details>
                <summary>{rec.packages.length} packages</summary>
                <CodeText text={rec.packages.join('\n')} />
              </details>
            ) : null}
          </>
        ) : (
          <p className="muted">No node has prepared it yet{job.end_time ? ' (the job ended before it was placed)' : ''}.</p>
        )}
      </section>
      <section className="card">
        <h2>Preparation log</h2>
        <p className="muted">What the node printed while it fetched the code and built or found the environment.</p>
        {feed && state ? <LogPanel feed={feed} state={state} job={job} only="system" label="preparation log" /> : <Loading what="reading the log" />}
      </section>
    </>
  );
}
