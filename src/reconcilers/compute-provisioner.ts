import { CairnError } from '../protocol/errors.ts';
import { TERMINAL_STATUSES } from '../protocol/job.ts';
import { hasPower, hasProvisioning, type ComputeBackend, type ComputeContext } from '../compute/types.ts';
import type { Store } from '../store/index.ts';
import type { ComputeRow } from '../store/computes.ts';

const LEASE_MS = 120_000;
/** How long a forced delete waits for its canceled jobs to stop before removing the agent anyway. */
const CANCEL_WAIT_MS = 30_000;

/**
 * Carries out what the API accepted: Creating, Updating and Deleting computes and pending power
 * actions. Rows are claimed with a lease; the backend's network I/O runs outside any transaction;
 * the result is written back only while the lease is still ours. A restart resumes from the rows.
 */
export class ComputeProvisioner {
  private readonly store: Store;
  private readonly backends: Map<string, ComputeBackend>;
  private readonly owner: string;
  private readonly unseal: (row: ComputeRow) => ComputeContext;
  private readonly log: (msg: string) => void;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(o: { store: Store; backends: Map<string, ComputeBackend>; owner: string; unseal: (row: ComputeRow) => ComputeContext; log: (msg: string) => void }) {
    this.store = o.store;
    this.backends = o.backends;
    this.owner = o.owner;
    this.unseal = o.unseal;
    this.log = o.log;
  }

  /** Claims what waits and starts each piece of work without waiting for it (one slow host must not hold up the rest). */
  async tick(): Promise<void> {
    const now = Date.now();
    for (const row of await this.store.computes.claimPending(this.owner, now, now + LEASE_MS, 20)) {
      const key = `${row.workspace}/${row.name}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.set(key, this.work(row).finally(() => this.inFlight.delete(key)));
    }
  }

  /** Resolves when the work started so far has finished (an orderly stop; tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight.values());
  }

  private async work(row: ComputeRow): Promise<void> {
    const guard = { leaseOwner: this.owner };
    const { workspace, name } = row;
    const backend = this.backends.get(row.type);
    try {
      if (!backend) throw new CairnError('Unsupported', `no backend runs ${row.type} computes`);
      const ctx = this.unseal(row);
      if (row.provisioning_state === 'Deleting') {
        if (row.pending_force) await this.waitForJobs(row);
        if (hasProvisioning(backend)) await backend.release(ctx, row.pending_action === 'detach' ? 'detach' : 'delete');
        await this.store.computes.remove(workspace, name, guard);
        return;
      }
      if (row.provisioning_state === 'Creating' && hasProvisioning(backend)) await backend.provision(ctx);
      if (row.provisioning_state === 'Updating' && hasProvisioning(backend)) await backend.apply?.(ctx);
      const action = row.pending_action as 'start' | 'stop' | 'restart' | null;
      if (action && hasPower(backend)) await backend.power(ctx, action);
      await this.store.computes.update(
        workspace,
        name,
        {
          provisioning_state: 'Succeeded',
          provisioning_errors: '[]',
          pending_action: null,
          ...(action ? { power_state: action === 'stop' ? 'Stopped' : 'Running' } : {}),
          updated_at: new Date().toISOString(),
          lease_owner: null,
          lease_until: null,
        },
        guard,
      );
    } catch (err) {
      const e = err instanceof CairnError ? { code: err.code, message: err.message } : { code: 'Internal', message: (err as Error).message };
      this.log(`compute ${name}: ${row.provisioning_state}${row.pending_action ? ` (${row.pending_action})` : ''} failed: ${e.message}`);
      if (row.provisioning_state === 'Creating' && backend && hasProvisioning(backend)) {
        // Nothing half-attached: what the failed attempt put on the host goes again.
        await backend.release(this.unseal(row), 'detach').catch(() => {});
      }
      await this.store.computes.update(
        workspace,
        name,
        {
          provisioning_state: row.provisioning_state === 'Deleting' ? 'Deleting' : 'Failed',
          provisioning_errors: JSON.stringify([e]),
          pending_action: row.provisioning_state === 'Deleting' ? row.pending_action : null,
          updated_at: new Date().toISOString(),
          lease_owner: null,
          lease_until: row.provisioning_state === 'Deleting' ? Date.now() + 10_000 : null, // retry a delete after a pause
        },
        guard,
      );
    }
  }

  private async waitForJobs(row: ComputeRow): Promise<void> {
    const deadline = Date.now() + CANCEL_WAIT_MS;
    while (Date.now() < deadline) {
      const open = await this.store.db
        .selectFrom('jobs')
        .select('id')
        .where('workspace', '=', row.workspace)
        .where('compute', '=', row.name)
        .where('status', 'not in', [...TERMINAL_STATUSES])
        .execute();
      if (open.length === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
