// /environments/:name: its versions (archive and restore each, or all, after a confirmation), the
// chosen version's spec as written (image, conda file, Dockerfile folder) and how jobs used it.
import { api, useApi, WS } from '../../api.ts';
import { setQuery, useLocation } from '../../router.tsx';
import { ConfirmButton, CopyButton, ErrorBox, Loading, Page, Props, Time } from '../../ui.tsx';
import { EnvironmentBuilds } from './environment-builds.tsx';
import { KIND_LABEL, toYaml, type Environment } from './types.ts';
import './environments.css';

export function EnvironmentPage({ params }: { params: Record<string, string> }) {
  const name = params.name!;
  const { query } = useLocation();
  const path = `${WS}/environments/${encodeURIComponent(name)}`;
  const versions = useApi<Environment[]>(`${WS}/environments?name=${encodeURIComponent(name)}&include_archived=true`);
  // No versions at all: ask for the environment itself, whose answer says which ones exist.
  const missing = useApi<Environment>(versions.data && versions.data.length === 0 ? path : null);
  const back = { to: '/environments', label: 'Go to environments' };

  if (!versions.data) return <Page title={name}>{versions.error ? <ErrorBox error={versions.error} back={back} /> : <Loading what="loading the environment" />}</Page>;
  if (versions.data.length === 0) return <Page title={name}>{missing.error ? <ErrorBox error={missing.error} back={back} /> : <Loading what="loading the environment" />}</Page>;

  const all = versions.data;
  const want = query.get('version');
  const shown = all.find((v) => v.version === want) ?? all.find((v) => !v.archived) ?? all[0]!;
  const act = (action: 'archive' | 'restore', version?: string) => async () => {
    await api('POST', `${path}/${action}${version ? `?version=${encodeURIComponent(version)}` : ''}`);
    versions.reload();
  };
  const anyActive = all.some((v) => !v.archived);
  const ref = `azureml:${name}:${shown.version}`;
  return (
    <Page
      title={name}
      subtitle={`${all.length} version${all.length > 1 ? 's' : ''} · ${KIND_LABEL[shown.kind]}`}
      actions={
        anyActive ? (
          <ConfirmButton label="Archive all" danger question={<>Archive every version of <b>{name}</b>? Jobs that name an exact version still run; lists and <code>@latest</code> leave it out.</>} onConfirm={act('archive')} />
        ) : (
          <ConfirmButton label="Restore all" question={<>Restore every version of <b>{name}</b>?</>} onConfirm={act('restore')} />
        )
      }
    >
      {versions.error ? <ErrorBox error={versions.error} /> : null}
      {want && want !== shown.version ? <ErrorBox error={`environment '${name}' has no version ${want}; showing ${shown.version}`} /> : null}
      <h2>
        Version {shown.version}{' '}{shown.archived ? <span className="status off">archived</span> : null}
      </h2>
      <div className="card">
        <Props
          rows={[
            ['Kind', KIND_LABEL[shown.kind]],
            ['Use in a job', <span className="mono">environment: {ref} <CopyButton text={ref} /></span>],
            ['Created', <Time at={shown.creation_context.created_at} />],
            ['Created by', shown.creation_context.created_by],
            ['Content hash', <span className="mono" title={shown.spec_hash}>{shown.spec_hash.slice(0, 16)}…</span>],
            ['Description', shown.description],
            ...Object.entries(shown.tags ?? {}).map(([k, v]): [string, string] => [`tag ${k}`, v]),
          ]}
        />
      </div>
      <SpecView env={shown} />
      <h2>Versions</h2>
      <div className="table-wrap env-versions">
        <table className="grid">
          <thead>
            <tr>
              <th>Version</th>
              <th>Kind</th>
              <th>State</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {all.map((v) => (
              <tr key={v.version} className={v.version === shown.version ? 'current' : ''}>
                <td className="mono">
                  <button className="link" onClick={() => setQuery({ version: v.version })} aria-current={v.version === shown.version ? 'true' : undefined}>
                    {v.version}
                  </button>
                </td>
                <td>{KIND_LABEL[v.kind]}</td>
                <td>{v.archived ? <span className="status off">archived</span> : <span className="status ok">active</span>}</td>
                <td>
                  <Time at={v.creation_context.created_at} />
                </td>
                <td>
                  {v.archived ? (
                    <ConfirmButton label={`Restore ${v.version}`} question={<>Restore version {v.version} of <b>{name}</b>?</>} onConfirm={act('restore', v.version)} />
                  ) : (
                    <ConfirmButton label={`Archive ${v.version}`} danger question={<>Archive version {v.version} of <b>{name}</b>? Jobs naming it exactly still run.</>} onConfirm={act('archive', v.version)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <EnvironmentBuilds name={name} />
    </Page>
  );
}

/** The spec as its author wrote it: the image, the conda file as YAML, the Dockerfile's folder. */
function SpecView({ env }: { env: Environment }) {
  return (
    <>
      <h2>Spec</h2>
      <div className="card spec">
        {env.kind === 'user_managed' ? <p>Runs with the node's own Python, as is: nothing is installed.</p> : null}
        {env.image ? (
          <p>
            Image <code>{env.image}</code> (run with docker or podman on the node)
          </p>
        ) : null}
        {env.build ? (
          <p>
            Built from <code>{env.build.dockerfile_path}</code> in {env.build.path ? <code>{env.build.path}</code> : 'an uploaded folder'} (snapshot <span className="mono">{env.build.snapshot_id.slice(0, 12)}</span>)
          </p>
        ) : null}
        {env.conda_file ? (
          <>
            <p>Conda file{env.image ? ', installed in the image' : ''}:</p>
            <pre className="yaml">{toYaml(env.conda_file)}</pre>
          </>
        ) : null}
      </div>
    </>
  );
}
