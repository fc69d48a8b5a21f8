// /environments: the newest version of every environment, its kind and what it is made of;
// archived ones on request (kept in the URL).
import { useApi, WS } from '../../api.ts';
import { Link, setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading, Page, Time } from '../../ui.tsx';
import { KIND_LABEL, type Environment } from './types.ts';
import './environments.css';

/** One line on what an environment is made of: its image, its packages, or its Dockerfile. */
function madeOf(e: Environment): string {
  const deps = e.conda_file?.dependencies?.flatMap((d) => (typeof d === 'string' ? [d] : d.pip)) ?? [];
  const parts = [e.image ? `image ${e.image}` : '', e.build ? `${e.build.dockerfile_path} in ${e.build.path ?? 'an uploaded folder'}` : '', deps.length ? `${deps.length} package${deps.length > 1 ? 's' : ''}: ${deps.slice(0, 4).join(', ')}${deps.length > 4 ? ', …' : ''}` : ''];
  return parts.filter(Boolean).join(' · ') || 'the node\'s own interpreter';
}

export function EnvironmentList() {
  const { query } = useLocation();
  const archived = query.get('archived') === '1';
  const list = useApi<Environment[]>(`${WS}/environments${archived ? '?include_archived=true' : ''}`);
  return (
    <Page title="Environments" subtitle="How a job's interpreter and packages are prepared: as is, from a conda file or pip requirements (built once per content and cached on each node), or a container image.">
      <label className="env-check">
        <input type="checkbox" checked={archived} onChange={(e) => setQuery({ archived: e.target.checked ? '1' : null })} />
        Show archived
      </label>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.data ? (
        list.error ? null : <Loading what="loading environments" />
      ) : list.data.length === 0 ? (
        <p className="muted">
          No environments registered{archived ? '' : ' (or all are archived)'}. Register one with <code>cairn environment create -f env.yml</code>; a job can also name a conda file or an image inline.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Latest version</th>
                <th>Kind</th>
                <th>Made of</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((e) => (
                <tr key={e.name}>
                  <td className="env-name">
                    <Link to={`/environments/${encodeURIComponent(e.name)}`}>{e.name}</Link>
                    {e.archived ? <span className="status off">archived</span> : null}
                  </td>
                  <td className="mono">{e.version}</td>
                  <td>{KIND_LABEL[e.kind]}</td>
                  <td className="made-of">{madeOf(e)}</td>
                  <td>
                    <Time at={e.creation_context.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
