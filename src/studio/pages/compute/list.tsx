// Manage > Compute: one tab per kind (kept in the URL as ?tab=), each a table that refreshes itself,
// with "+ New" for instances and clusters and "Attach" for machines the user already has.
import { useApi, WS } from '../../api.ts';
import { Link, setQuery, useLocation } from '../../router.tsx';
import { ErrorBox, Loading, Page, Status, Tabs, Time } from '../../ui.tsx';
import type { ComputeView } from '../../../protocol/compute.ts';
import { AttachComputeForm } from './attach-form.tsx';
import { CreateComputeForm } from './create-form.tsx';
import { nodeCounts, stateWords } from './describe.ts';
import './compute.css';

type TabId = 'instances' | 'clusters' | 'inference' | 'attached';
interface Kind {
  id: TabId;
  label: string;
  /** What the tab's list holds, in words for its empty state. */
  noun: string;
  matches: (type: string) => boolean;
  create?: 'amlcompute' | 'computeinstance';
  empty: string;
}

const CREATED = ['computeinstance', 'amlcompute'];
const KINDS: Kind[] = [
  { id: 'instances', label: 'Compute instances', noun: 'compute instances', matches: (t) => t === 'computeinstance', create: 'computeinstance', empty: 'A compute instance is one machine for one person, with SSH and idle shutdown. Make one with "+ New", or `cairn compute create --type computeinstance`.' },
  { id: 'clusters', label: 'Compute clusters', noun: 'compute clusters', matches: (t) => t === 'amlcompute', create: 'amlcompute', empty: 'A compute cluster scales its nodes between a minimum and a maximum as jobs come. Make one with "+ New", or `cairn compute create -f cluster.yml`.' },
  { id: 'inference', label: 'Inference clusters', noun: 'inference clusters', matches: () => false, empty: '' },
  { id: 'attached', label: 'Attached computes', noun: 'attached computes', matches: (t) => !CREATED.includes(t), empty: 'Attach a machine you already have with "Attach" (Cairn connects over SSH and installs its agent), or `cairn compute attach -f machine.yml`.' },
];

export function ComputeList() {
  const { query } = useLocation();
  const kind = KINDS.find((k) => k.id === query.get('tab')) ?? KINDS[0]!;
  const adding = query.get('new') === '1';
  const computes = useApi<ComputeView[]>(`${WS}/computes`, 5_000);
  const closeForm = () => setQuery({ new: null });
  const action = kind.create ? (
    <button className="primary" onClick={() => setQuery({ new: '1' })} disabled={adding}>
      + New
    </button>
  ) : kind.id === 'attached' ? (
    <button className="primary" onClick={() => setQuery({ new: '1' })} disabled={adding}>
      Attach
    </button>
  ) : null;
  return (
    <Page title="Compute" subtitle="Where jobs run: machines for one person, autoscaling clusters, and machines you attach." actions={action}>
      <Tabs tabs={KINDS.map((k) => ({ id: k.id, label: k.label }))} current={kind.id} onSelect={(id) => setQuery({ tab: id, new: null })} />
      {adding && kind.create ? <CreateComputeForm key={kind.create} type={kind.create} onCancel={closeForm} /> : null}
      {adding && kind.id === 'attached' ? <AttachComputeForm onCancel={closeForm} /> : null}
      {kind.id === 'inference' ? (
        <div className="card" role="note">
          <strong>Inference clusters are not available yet.</strong> Cairn does not serve models yet: it trains them. Use compute clusters or instances for training jobs;
          a model's files are in its job's outputs.
        </div>
      ) : (
        <ComputeTable kind={kind} computes={computes.data} error={computes.error} loading={computes.loading} />
      )}
    </Page>
  );
}

function ComputeTable({ kind, computes, error, loading }: { kind: Kind; computes: ComputeView[] | null; error: Error | null; loading: boolean }) {
  if (!computes) return error ? <ErrorBox error={error} /> : loading ? <Loading what="loading computes" /> : null;
  const rows = computes.filter((c) => kind.matches(c.type));
  const cluster = kind.id === 'clusters';
  return (
    <>
      {/* A failed refresh keeps the last list and says why it may be stale. */}
      {error ? <ErrorBox error={error} /> : null}
      {rows.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>No {kind.noun} yet.</strong>
          </p>
          <p className="muted">{kind.empty}</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid" aria-label={kind.label}>
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>State</th>
                <th>Size</th>
                <th>{cluster ? 'Nodes (now / min / max)' : 'Nodes'}</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.name}>
                  <td>
                    <Link to={`/computes/${encodeURIComponent(c.name)}`}>{c.name}</Link>
                  </td>
                  <td className="mono">{c.type}</td>
                  <td>
                    <span className="states">
                      {stateWords(c).map((s) => (
                        <Status key={s} value={s} />
                      ))}
                    </span>
                  </td>
                  <td className="mono">{typeof c.size === 'string' ? c.size : '-'}</td>
                  <td>{nodeCounts(c)}</td>
                  <td>
                    <Time at={c.created_on} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
