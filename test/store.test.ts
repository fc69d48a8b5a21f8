// The store's conformance suite: one set of tests, run against SQLite and against a real
// PostgreSQL (started by scripts/pg-up.sh, or CAIRN_TEST_PG_URL). Each test gets its own database.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Insertable } from 'kysely';
import { Store, isUniqueViolation } from '../src/store/index.ts';
import type { AttemptsTable, JobsTable, NodesTable } from '../src/store/schema.ts';
import type { NewLogLine } from '../src/store/logs.ts';
import { freshDatabase, postgresUrl, type FreshDatabase } from './helpers/pg.ts';

const AT = '2025-01-01T00:00:00.000Z';
const T0 = 1_735_689_600_000; // 2025-01-01 in ms: beyond 32 bits, like every time column we store

type JobRowLike = Parameters<Store['jobs']['ahead']>[0];

let seq = 0;
function job(o: Partial<Insertable<JobsTable>> = {}): Insertable<JobsTable> {
  const n = ++seq;
  return {
    id: `job-${n}-${Math.random().toString(36).slice(2, 8)}`,
    workspace: 'default',
    name: `job-${n}`,
    display_name: `Job ${n}`,
    experiment_name: 'exp',
    compute: 'local',
    status: 'Queued',
    status_reason: null,
    spec: JSON.stringify({ command: 'python train.py' }),
    snapshot_id: null,
    git: null,
    created_at: AT,
    created_by: 'tester',
    start_time: null,
    end_time: null,
    exit_code: null,
    attempt: 0,
    node: null,
    cancel_requested: 0,
    lease_owner: null,
    lease_until: null,
    queued_at_ms: T0 + n,
    environment: null,
    environment_record: null,
    priority: 2,
    instance_count: 1,
    max_retries: 3,
    wait_code: null,
    data: null,
    external_id: null,
    kind: 'command',
    parent_id: null,
    trial_index: null,
    trial: null,
    reuse_key: null,
    ...o,
  };
}

function attempt(o: Partial<Insertable<AttemptsTable>> & { job_id: string; number: number; node: string }): Insertable<AttemptsTable> {
  return {
    id: `${o.job_id}.${o.number}`,
    state: 'assigned',
    assignment: '{}',
    assigned_at: AT,
    ended_at: null,
    outcome: null,
    exit_code: null,
    reason: null,
    rank: 0,
    world_size: 1,
    stop: null,
    ...o,
  };
}

function node(o: Partial<Insertable<NodesTable>> & { name: string }): Insertable<NodesTable> {
  return {
    workspace: 'default',
    compute: 'pool',
    state: 'ready',
    shape: JSON.stringify({ cpus: 2, memory_gb: 4, gpus: 0 }),
    slots: 2,
    agent_version: '0.1.0',
    token_hash: 'h',
    pid: null,
    last_heartbeat_ms: null,
    registered_at: AT,
    label: o.name,
    size: null,
    tier: null,
    idle_since_ms: null,
    provider: null,
    provider_ref: null,
    ssh: null,
    created_at: null,
    ...o,
  };
}

const lines = (from: number, n: number, stream = 'stdout'): NewLogLine[] =>
  Array.from({ length: n }, (_, i) => ({ stream, offset: (from + i) * 10, ts: AT, text: `line ${from + i}` }));

async function count(store: Store, table: 'jobs' | 'job_events' | 'attempts' | 'log_lines' | 'nodes' | 'workspaces' | 'computes' | 'snapshots' | 'artifacts' | 'environments' | 'compute_events' | keyof import('../src/store/schema.ts').Database): Promise<number> {
  const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
/** node:sqlite rows have a null prototype; compare them as plain objects. */
const plain = <T extends object>(row: T | undefined) => (row === undefined ? undefined : { ...row });

const pgAvailability = await postgresUrl();

for (const dialect of ['sqlite', 'postgres'] as const) {
  const skip = dialect === 'postgres' ? pgAvailability.skip : undefined;

  describe(`store conformance (${dialect})`, { skip: skip ?? false }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    const stores: Store[] = [];

    /**
     * A URL for a new database of this dialect: empty, or (`migrated`, PostgreSQL only, to save
     * the migration's time in each test) a copy of a database migrated once for this suite.
     */
    async function freshUrl(o: { migrated?: boolean } = {}): Promise<string> {
      if (dialect === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'cairn-store-'));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        return `sqlite:${join(dir, 'cairn.db')}`;
      }
      const fresh = await freshDatabase(pgAvailability.url!, 'cairn_store', { template: o.migrated ? await migratedTemplate() : undefined });
      cleanups.push(fresh.drop);
      return fresh.url;
    }
    let template: Promise<FreshDatabase> | undefined;
    function migratedTemplate(): Promise<string> {
      template ??= (async () => {
        const t = await freshDatabase(pgAvailability.url!, 'cairn_store_template');
        await (await Store.open(t.url)).close();
        return t;
      })();
      return template.then((t) => t.name);
    }
    async function open(url: string): Promise<Store> {
      const s = await Store.open(url);
      stores.push(s);
      return s;
    }
    async function freshStore(): Promise<Store> {
      return open(await freshUrl({ migrated: true }));
    }
    /**
     * A second writer for races. PostgreSQL: another pool on the same database, as a second server
     * process would have. SQLite: the same store, since one process has one connection (a second
     * connection in the same process blocks the event loop waiting for a lock the first one holds).
     */
    async function racer(store: Store): Promise<Store> {
      return store.dialect === 'postgres' ? open(await reopenUrl(store)) : store;
    }

    // Each test closes its stores and removes its database; dropping a PostgreSQL database waits
    // for the closed pool's sessions to finish exiting, so those drops overlap the next test.
    const dropping: Promise<unknown>[] = [];
    async function cleanUp(): Promise<void> {
      for (const s of stores.splice(0)) await s.close();
      for (const c of cleanups.splice(0).reverse()) dropping.push(c().then(() => undefined, (err: unknown) => err));
    }
    afterEach(cleanUp);
    after(async () => {
      await cleanUp();
      if (template) dropping.push((await template).drop().then(() => undefined, (err: unknown) => err));
      const failed = (await Promise.all(dropping)).filter((e) => e !== undefined);
      if (failed.length > 0) throw new AggregateError(failed, `${failed.length} test database(s) could not be removed`);
    });

    describe('migrations', () => {
      it('create every table on a fresh database; a second open is a no-op', async () => {
        const url = await freshUrl();
        const first = await open(url);
        assert.equal(first.dialect, dialect);
        for (const t of ['workspaces', 'computes', 'snapshots', 'jobs', 'job_events', 'attempts', 'log_lines', 'artifacts', 'nodes', 'environments', 'compute_events', 'datastores', 'asset_containers', 'assets', 'model_aliases', 'job_inputs', 'datastore_stamps', 'run_inputs', 'logged_models', 'batch_submissions', 'components'] as const) {
          assert.equal(await count(first, t), 0, `${t} exists and is empty`);
        }
        const applied = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(first.db);
        assert.deepEqual(applied.rows.map((r) => r.name), ['0001_core', '0002_tracking', '0003_compute_lifecycle', '0004_environments', '0005_pools', '0006_data', '0007_registry', '0008_batch', '0009_sweeps', '0010_components', '0011_pipelines']);
        await first.resources.ensureWorkspace('default', AT);
        await first.jobs.insert(job({ name: 'survivor' }), 'created', AT);

        const second = await open(url);
        const again = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration order by name`.execute(second.db);
        assert.deepEqual(again.rows, applied.rows, 'no migration ran again');
        assert.equal((await second.jobs.getByName('default', 'survivor'))?.name, 'survivor', 'data kept');
        assert.equal(await count(second, 'workspaces'), 1);
      });
    });

    describe('sweeps', () => {
      it('a trial index is unique per sweep; lists leave trials out unless asked for their sweep', async () => {
        const store = await freshStore();
        const sweep = job({ name: 'sw', kind: 'sweep', status: 'Running' });
        await store.jobs.insert(sweep, 'submitted', AT);
        const trial = (i: number, o: Partial<Insertable<JobsTable>> = {}) => job({ name: `sw_${i}`, parent_id: sweep.id, trial_index: i, trial: JSON.stringify({ sweep: 'sw', index: i, params: { x: i } }), ...o });
        await store.jobs.insert(trial(1), 'trial', AT);
        await store.jobs.insert(trial(0), 'trial', AT);
        await assert.rejects(store.jobs.insert(trial(1, { name: 'other-name' }), 'trial', AT), (e: unknown) => isUniqueViolation(e), 'index 1 twice');
        assert.deepEqual((await store.jobs.trialsOf(sweep.id)).map((t) => t.name), ['sw_0', 'sw_1']);
        await store.jobs.insert(job({ name: 'plain', trial_index: 0 }), 'submitted', AT);
        assert.deepEqual((await store.jobs.list({ workspace: 'default' })).map((j) => j.name).sort(), ['plain', 'sw']);
        assert.deepEqual((await store.jobs.list({ workspace: 'default', parent_id: sweep.id })).map((j) => j.name).sort(), ['sw_0', 'sw_1']);
        assert.equal(await store.jobs.count({ workspace: 'default', parent_id: sweep.id }), 2);
        assert.deepEqual((await store.jobs.activeSweeps()).map((j) => j.name), ['sw']);
      });

      it('a sweep lease goes to one owner until it lapses, and is held only while it lasts', async () => {
        const store = await freshStore();
        const sweep = job({ name: 'leased', kind: 'sweep', status: 'Running' });
        await store.jobs.insert(sweep, 'submitted', AT);
        assert.equal(await store.jobs.claimSweep(sweep.id, 'a', 1000, 2000), true);
        assert.equal(await store.jobs.claimSweep(sweep.id, 'b', 1500, 2500), false, 'a holds it');
        assert.equal(await store.jobs.claimSweep(sweep.id, 'a', 1500, 2500), true, 'the holder renews');
        assert.equal(await store.jobs.holdsSweep(sweep.id, 'a', 2400), true);
        assert.equal(await store.jobs.holdsSweep(sweep.id, 'b', 2400), false);
        assert.equal(await store.jobs.claimSweep(sweep.id, 'b', 2600, 3600), true, 'lapsed: b takes it');
        assert.equal(await store.jobs.holdsSweep(sweep.id, 'a', 2700), false);
        const plain = job({ name: 'not-a-sweep' });
        await store.jobs.insert(plain, 'submitted', AT);
        assert.equal(await store.jobs.claimSweep(plain.id, 'a', 0, 1), false, 'only sweeps are claimed');
      });
    });

    describe('jobs', () => {
      it('insert, getByName and getById return the row as written, with its creation event', async () => {
        const store = await freshStore();
        const row = job({ name: 'alpha', git: JSON.stringify({ branch: 'main' }), snapshot_id: 'snap-1' });
        await store.jobs.insert(row, 'submitted', AT);
        const got = plain(await store.jobs.getByName('default', 'alpha'));
        assert.deepEqual(got, { ...row });
        assert.deepEqual(plain(await store.jobs.getById(row.id)), got);
        assert.equal(await store.jobs.getByName('default', 'missing'), undefined);
        assert.equal(await store.jobs.getByName('other', 'alpha'), undefined);
        assert.deepEqual((await store.jobs.events(row.id)).map(plain), [{ status: 'Queued', reason: 'submitted', at: AT, attempt: null }]);
      });

      it('a duplicate name in the same workspace is a unique violation and writes nothing', async () => {
        const store = await freshStore();
        const first = job({ name: 'dup' });
        await store.jobs.insert(first, 'submitted', AT);
        const second = job({ name: 'dup' });
        await assert.rejects(store.jobs.insert(second, 'submitted', AT), (err) => {
          assert.equal(isUniqueViolation(err), true, `not a unique violation: ${String(err)}`);
          return true;
        });
        // The same inside a transaction, as the services call it.
        await assert.rejects(
          store.transaction((trx) => store.jobs.with(trx).insert(job({ name: 'dup' }), 'submitted', AT)),
          (err) => isUniqueViolation(err),
        );
        assert.equal(await count(store, 'jobs'), 1);
        assert.equal(await count(store, 'job_events'), 1);
        assert.equal(await store.jobs.getById(second.id), undefined);
        assert.deepEqual(await store.jobs.events(second.id), []);
        assert.equal((await store.jobs.getByName('default', 'dup'))?.id, first.id);

        const elsewhere = job({ name: 'dup', workspace: 'team-b' });
        await store.jobs.insert(elsewhere, 'submitted', AT);
        assert.equal((await store.jobs.getByName('team-b', 'dup'))?.id, elsewhere.id);
        assert.equal(await count(store, 'jobs'), 2);
        assert.equal(await count(store, 'job_events'), 2);
      });

      it('isUniqueViolation is false for other errors', async () => {
        const store = await freshStore();
        await assert.rejects(sql`select * from no_such_table`.execute(store.db), (err) => {
          assert.equal(isUniqueViolation(err), false);
          return true;
        });
        assert.equal(isUniqueViolation(new Error('boom')), false);
        assert.equal(isUniqueViolation(undefined), false);
      });

      it('transition is guarded: from must match, a terminal job never moves; events keep order and attempt', async () => {
        const store = await freshStore();
        const row = job();
        await store.jobs.insert(row, 'submitted', AT);
        const at = (s: number) => new Date(Date.parse(AT) + s * 1000).toISOString();

        assert.equal(await store.jobs.transition(row.id, 'Provisioning', 'placed', at(1), { from: ['Queued'], attempt: 1 }), true);
        assert.equal(await store.jobs.transition(row.id, 'Provisioning', 'placed twice', at(2), { from: ['Queued'], attempt: 1 }), false, 'from mismatch');
        assert.equal(
          await store.jobs.transition(row.id, 'Running', null, at(3), { from: ['Provisioning', 'Preparing'], attempt: 1, set: { start_time: at(3), node: 'n1', attempt: 1 } }),
          true,
        );
        assert.equal(await store.jobs.transition(row.id, 'Preempted', 'spot reclaimed', at(4), { attempt: 1 }), true);
        assert.equal(await store.jobs.transition(row.id, 'Queued', 'retry', at(5), { from: ['Preempted'], attempt: 2, set: { attempt: 2 } }), true);
        assert.equal(await store.jobs.transition(row.id, 'Running', null, at(6), { attempt: 2 }), true);
        assert.equal(
          await store.jobs.transition(row.id, 'Completed', 'exit 0', at(7), { from: ['Running'], attempt: 2, set: { end_time: at(7), exit_code: 0 } }),
          true,
        );
        for (const status of ['Running', 'Failed', 'Canceled', 'Queued', 'Completed']) {
          assert.equal(await store.jobs.transition(row.id, status, 'late', at(8), { attempt: 2 }), false, `Completed -> ${status}`);
          assert.equal(await store.jobs.transition(row.id, status, 'late', at(8), { from: ['Completed'] }), false, `Completed -> ${status} with from`);
        }
        assert.equal(await store.jobs.transition('no-such-job', 'Running', null, at(9)), false);

        const got = await store.jobs.getById(row.id);
        assert.equal(got?.status, 'Completed');
        assert.equal(got?.status_reason, 'exit 0');
        assert.equal(got?.exit_code, 0);
        assert.equal(got?.start_time, at(3));
        assert.equal(got?.end_time, at(7));
        assert.equal(got?.node, 'n1');
        assert.equal(got?.attempt, 2);
        assert.deepEqual((await store.jobs.events(row.id)).map(plain), [
          { status: 'Queued', reason: 'submitted', at: AT, attempt: null },
          { status: 'Provisioning', reason: 'placed', at: at(1), attempt: 1 },
          { status: 'Running', reason: null, at: at(3), attempt: 1 },
          { status: 'Preempted', reason: 'spot reclaimed', at: at(4), attempt: 1 },
          { status: 'Queued', reason: 'retry', at: at(5), attempt: 2 },
          { status: 'Running', reason: null, at: at(6), attempt: 2 },
          { status: 'Completed', reason: 'exit 0', at: at(7), attempt: 2 },
        ]);

        for (const terminal of ['Failed', 'Canceled']) {
          const j = job();
          await store.jobs.insert(j, 'submitted', AT);
          assert.equal(await store.jobs.transition(j.id, terminal, 'why', at(1)), true);
          assert.equal(await store.jobs.transition(j.id, 'Queued', 'again', at(2)), false);
          assert.equal((await store.jobs.getById(j.id))?.status, terminal);
          assert.equal((await store.jobs.events(j.id)).length, 2);
        }
      });

      it('concurrent transitions from the same state: exactly one wins', async () => {
        const store = await freshStore();
        const other = await racer(store);
        const row = job();
        await store.jobs.insert(row, 'submitted', AT);
        const results = await Promise.all([
          store.jobs.transition(row.id, 'Provisioning', 'a', AT, { from: ['Queued'] }),
          other.jobs.transition(row.id, 'Canceled', 'b', AT, { from: ['Queued'] }),
          store.jobs.transition(row.id, 'Failed', 'c', AT, { from: ['Queued'] }),
        ]);
        assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
        assert.equal((await store.jobs.events(row.id)).length, 2);
      });

      it('racing unguarded transitions: the last event always names the status the job ended in', async () => {
        const store = await freshStore();
        const other = await racer(store);
        const rows = Array.from({ length: 60 }, () => job({ status: 'Running' }));
        for (const r of rows) await store.jobs.insert(r, 'submitted', AT);
        await Promise.all(
          rows.flatMap((r, i) => [
            store.jobs.transition(r.id, 'NotResponding', `a${i}`, AT, { attempt: 1 }),
            other.jobs.transition(r.id, 'Running', `b${i}`, AT, { attempt: 1 }),
            store.jobs.transition(r.id, 'Finalizing', `c${i}`, AT, { attempt: 1 }),
          ]),
        );
        for (const r of rows) {
          const got = await store.jobs.getById(r.id);
          const events = await store.jobs.events(r.id);
          assert.equal(events.length, 4);
          const last = events[events.length - 1];
          assert.deepEqual([last.status, last.reason], [got?.status, got?.status_reason], `job ${r.id}: ${JSON.stringify(events)}`);
        }
      });

      it('list filters by status, experiment and compute, newest first, with a limit, within the workspace', async () => {
        const store = await freshStore();
        const rows = [
          job({ name: 'a', status: 'Queued', experiment_name: 'e1', compute: 'local', queued_at_ms: T0 + 1 }),
          job({ name: 'b', status: 'Running', experiment_name: 'e1', compute: 'gpu', queued_at_ms: T0 + 2 }),
          job({ name: 'c', status: 'Completed', experiment_name: 'e2', compute: 'gpu', queued_at_ms: T0 + 3 }),
          job({ name: 'd', status: 'Failed', experiment_name: 'e2', compute: 'local', queued_at_ms: T0 + 4 }),
          job({ name: 'e', status: 'Queued', experiment_name: 'e1', compute: 'gpu', queued_at_ms: T0 + 5 }),
          job({ name: 'x', workspace: 'other', status: 'Queued', experiment_name: 'e1', compute: 'gpu', queued_at_ms: T0 + 6 }),
        ];
        for (const r of rows) await store.jobs.insert(r, 'submitted', AT);
        const names = async (f: Parameters<Store['jobs']['list']>[0]) => (await store.jobs.list(f)).map((r) => r.name);

        assert.deepEqual(await names({ workspace: 'default' }), ['e', 'd', 'c', 'b', 'a']);
        assert.deepEqual(await names({ workspace: 'default', statuses: ['Queued'] }), ['e', 'a']);
        assert.deepEqual(await names({ workspace: 'default', statuses: ['Running', 'Completed', 'Failed'] }), ['d', 'c', 'b']);
        assert.deepEqual(await names({ workspace: 'default', statuses: [] }), ['e', 'd', 'c', 'b', 'a'], 'an empty status list does not filter');
        assert.deepEqual(await names({ workspace: 'default', experiment_name: 'e1' }), ['e', 'b', 'a']);
        assert.deepEqual(await names({ workspace: 'default', compute: 'gpu' }), ['e', 'c', 'b']);
        assert.deepEqual(await names({ workspace: 'default', compute: 'gpu', experiment_name: 'e1', statuses: ['Queued'] }), ['e']);
        assert.deepEqual(await names({ workspace: 'default', limit: 2 }), ['e', 'd']);
        assert.deepEqual(await names({ workspace: 'default', experiment_name: 'nope' }), []);
        assert.deepEqual(await names({ workspace: 'other' }), ['x']);
        assert.deepEqual(await names({ workspace: 'empty' }), []);
        for (let i = 0; i < 55; i++) await store.jobs.insert(job({ name: `m${i}`, workspace: 'many', queued_at_ms: T0 + 100 + i }), 'submitted', AT);
        assert.equal((await names({ workspace: 'many' })).length, 50, 'the latest 50 by default');
        assert.equal((await names({ workspace: 'many', limit: null })).length, 55, 'null lists all');
      });

      it('list breaks ties in queue time by id, newest first', async () => {
        const store = await freshStore();
        for (const id of ['j-1', 'j-3', 'j-2']) await store.jobs.insert(job({ id, name: id, queued_at_ms: T0 }), 'submitted', AT);
        assert.deepEqual((await store.jobs.list({ workspace: 'default' })).map((r) => r.id), ['j-3', 'j-2', 'j-1']);
      });
    });

    describe('batch submissions', () => {
      const sub = (name: string, o: Record<string, unknown> = {}) => ({ name, workspace: 'default', compute: 'hpc', job_id: `job-${name}`, attempt: 1, state: 'recorded' as const, node_count: 1, recorded_at: AT, external_id: null, external_state: null, detail: null, submitted_at: null, ended_at: null, last_seen_ms: null, ...o });
      it('records before submitting, counts tries, moves only from the state it expects, and lists what is live per compute', async () => {
        const store = await freshStore();
        await store.batch.insert(sub('a'));
        await store.batch.insert(sub('b', { compute: 'other' }));
        await store.batch.insert(sub('c', { state: 'done' }));
        await assert.rejects(store.batch.insert(sub('a')), (e) => isUniqueViolation(e), 'a name is recorded once');
        assert.deepEqual((await store.batch.live('default', 'hpc')).map((s) => s.name), ['a']);
        assert.deepEqual((await store.batch.liveComputes()).map((c) => c.compute).sort(), ['hpc', 'other']);
        // Waiting jobs without a live submission, in queue order: job-a's is live, job-c's is done.
        for (const [n, prio] of [['a', 2], ['c', 2], ['d', 3], ['e', 1]] as const) await store.jobs.insert(job({ id: `job-${n}`, name: n, compute: 'hpc', priority: prio }), 'submitted', AT);
        await store.jobs.insert(job({ id: 'job-f', name: 'f', compute: 'hpc', status: 'Running' }), 'submitted', AT);
        await store.jobs.insert(job({ id: 'job-g', name: 'g', compute: 'hpc', cancel_requested: 1 }), 'submitted', AT);
        assert.deepEqual((await store.batch.unsubmitted('default', 'hpc', 10)).map((j) => j.id), ['job-d', 'job-c', 'job-e']);
        assert.deepEqual((await store.batch.unsubmitted('default', 'hpc', 1)).map((j) => j.id), ['job-d']);
        await store.batch.countTries(['a']);
        await store.batch.countTries(['a', 'b']);
        assert.equal((await store.batch.get('a'))?.tries, 2);
        assert.equal(await store.batch.update('a', { state: 'submitted', external_id: '42' }, ['recorded']), true);
        assert.equal(await store.batch.update('a', { state: 'submitted', external_id: '43' }, ['recorded']), false, 'a second writer does not apply');
        const a = await store.batch.get('a');
        assert.equal(a?.external_id, '42');
        assert.equal(a?.last_seen_ms, null);
        await store.batch.update('a', { last_seen_ms: 2 ** 41 });
        assert.equal((await store.batch.get('a'))?.last_seen_ms, 2 ** 41, 'milliseconds beyond 32 bits round-trip');
        assert.deepEqual((await store.batch.forJob('job-a')).map((s) => s.name), ['a']);
      });
    });

    describe('queues and scheduling leases', () => {
      it('a compute\'s queue is in priority order, then submission order; other computes and statuses stay out', async () => {
        const store = await freshStore();
        const rows = [
          job({ compute: 'pool', queued_at_ms: T0 + 30, priority: 2 }),
          job({ compute: 'pool', queued_at_ms: T0 + 10, priority: 1 }),
          job({ compute: 'pool', queued_at_ms: T0 + 20, priority: 3 }),
          job({ compute: 'pool', queued_at_ms: T0 + 5, priority: 2 }),
          job({ compute: 'other', queued_at_ms: T0 + 1, priority: 3 }),
          job({ compute: 'pool', queued_at_ms: T0 + 1, priority: 3, status: 'Running' }),
        ];
        for (const r of rows) await store.jobs.insert(r, 'submitted', AT);
        const inOrder = (rs: { id: string }[]) => rs.map((r) => r.id);
        assert.deepEqual(inOrder(await store.jobs.queueOf('default', 'pool', 10)), [rows[2].id, rows[3].id, rows[0].id, rows[1].id]);
        assert.deepEqual(inOrder(await store.jobs.queueOf('default', 'pool', 2)), [rows[2].id, rows[3].id]);
        assert.equal(await store.jobs.ahead(rows[0] as JobRowLike), 2);
        assert.equal(await store.jobs.ahead(rows[2] as JobRowLike), 0);
        assert.deepEqual((await store.jobs.queuedComputes()).map((c) => c.compute).sort(), ['other', 'pool']);
        assert.deepEqual(await store.jobs.queuedDemand('default', 'pool'), { jobs: 4, nodes: 4 });
      });

      it('one server at a time holds a compute\'s scheduling lease; it renews it, and an expired one changes hands', async () => {
        const store = await freshStore();
        await store.computes.insert({ workspace: 'default', name: 'pool', type: 'amlcompute', spec: '{}', provisioning_state: 'Succeeded', created_at: AT });
        const other = await open(store.dialect === 'sqlite' ? store.where : await reopenUrl(store));
        const now = T0 + 1_000_000;
        const [a, b] = await Promise.all([store.computes.claimScheduling('default', 'pool', 'a', now, now + 10_000), other.computes.claimScheduling('default', 'pool', 'b', now, now + 10_000)]);
        assert.equal(Number(a) + Number(b), 1, 'exactly one of two racing servers holds it');
        const holder = a ? 'a' : 'b';
        const loser = a ? 'b' : 'a';
        assert.equal(await store.computes.claimScheduling('default', 'pool', loser, now + 5_000, now + 15_000), false);
        assert.equal(await store.computes.claimScheduling('default', 'pool', holder, now + 5_000, now + 15_000), true, 'renewed');
        assert.equal(await store.computes.claimScheduling('default', 'pool', loser, now + 15_001, now + 25_000), true, 'expired: taken over');
        assert.equal(await store.computes.claimScheduling('default', 'pool', holder, now + 15_002, now + 25_000), false);
      });

      it('a node is taken only while ready, and removed only while idle since before the cutoff: never both', async () => {
        const store = await freshStore();
        await store.nodes.upsert(node({ name: 'p:n1', idle_since_ms: T0 }));
        await store.nodes.upsert(node({ name: 'p:n2', idle_since_ms: T0 }));
        assert.equal(await store.nodes.claimIdleForRemoval('p:n1', T0 - 1), false, 'not idle long enough');
        assert.equal(await store.nodes.take(['p:n1']), true);
        assert.equal(await store.nodes.claimIdleForRemoval('p:n1', T0 + 1), false, 'taken: busy, not idle');
        assert.equal(await store.nodes.claimIdleForRemoval('p:n2', T0 + 1), true);
        assert.equal((await store.nodes.get('p:n2'))?.state, 'deleting');
        assert.equal(await store.nodes.take(['p:n1', 'p:n2']), false, 'a node being removed cannot be taken');
        // Idle again only once no unfinished attempt is left on it.
        const j = job();
        await store.jobs.insert(j, 'submitted', AT);
        await store.jobs.insertAttempt(attempt({ job_id: j.id, number: 1, node: 'p:n1', state: 'running' }));
        await store.nodes.markIdleIfFree('p:n1', T0 + 5);
        assert.equal((await store.nodes.get('p:n1'))?.idle_since_ms, null);
        await store.jobs.updateAttempt(`${j.id}.1`, { state: 'ended' });
        await store.nodes.markIdleIfFree('p:n1', T0 + 6);
        assert.equal((await store.nodes.get('p:n1'))?.idle_since_ms, T0 + 6);
      });

      it('busy slots count jobs, not the ranks of one job on a node', async () => {
        const store = await freshStore();
        const j = job();
        await store.jobs.insert(j, 'submitted', AT);
        for (const rank of [0, 1]) await store.jobs.insertAttempt(attempt({ id: `${j.id}.r${rank}`, job_id: j.id, number: 1, rank, world_size: 4, node: 'n1', state: 'running' }));
        for (const rank of [2, 3]) await store.jobs.insertAttempt(attempt({ id: `${j.id}.r${rank}`, job_id: j.id, number: 1, rank, world_size: 4, node: 'n2', state: 'running' }));
        const busy = await store.jobs.busySlots(['n1', 'n2', 'n3']);
        assert.deepEqual([...busy.entries()], [['n1', 1], ['n2', 1], ['n3', 0]]);
      });

      it('records compute events in order and reads the latest, oldest first', async () => {
        const store = await freshStore();
        for (let i = 0; i < 5; i++) await store.computes.addEvent('default', 'pool', 'scale', `event ${i}`, AT);
        await store.computes.addEvent('default', 'other', 'scale', 'not mine', AT);
        assert.deepEqual((await store.computes.events('default', 'pool', 3)).map((e) => e.message), ['event 2', 'event 3', 'event 4']);
      });
    });
    describe('attempts', () => {
      it('insert, get, attemptsOnNode, busySlots and a guarded updateAttempt', async () => {
        const store = await freshStore();
        const j1 = job();
        const j2 = job();
        await store.jobs.insert(j1, 'submitted', AT);
        await store.jobs.insert(j2, 'submitted', AT);
        const a1 = attempt({ job_id: j1.id, number: 1, node: 'n1', assigned_at: '2025-01-01T00:00:02.000Z', assignment: JSON.stringify({ command: 'x' }) });
        const a2 = attempt({ job_id: j2.id, number: 1, node: 'n1', assigned_at: '2025-01-01T00:00:01.000Z', state: 'running' });
        const a3 = attempt({ job_id: j1.id, number: 2, node: 'n2', state: 'ended', outcome: 'failed', exit_code: 137, ended_at: AT, reason: 'OOM' });
        for (const a of [a1, a2, a3]) await store.jobs.insertAttempt(a);

        assert.deepEqual(plain(await store.jobs.getAttempt(a1.id)), a1);
        assert.deepEqual(plain(await store.jobs.getAttempt(a3.id)), a3);
        assert.equal(await store.jobs.getAttempt('nope'), undefined);
        await assert.rejects(store.jobs.insertAttempt(attempt({ id: 'other-id', job_id: j1.id, number: 1, node: 'n3' })), (e) => isUniqueViolation(e));

        assert.deepEqual((await store.jobs.attemptsOnNode('n1', ['assigned', 'running'])).map((a) => a.id), [a2.id, a1.id], 'oldest first');
        assert.deepEqual((await store.jobs.attemptsOnNode('n1', ['running'])).map((a) => a.id), [a2.id]);
        assert.deepEqual(await store.jobs.attemptsOnNode('n2', ['assigned', 'running']), []);
        assert.deepEqual(await store.jobs.attemptsOnNode('n9', ['assigned']), []);

        assert.deepEqual(await store.jobs.busySlots(['n1', 'n2', 'n3']), new Map([['n1', 2], ['n2', 0], ['n3', 0]]));
        assert.deepEqual(await store.jobs.busySlots([]), new Map());

        assert.equal(await store.jobs.updateAttempt(a1.id, { state: 'accepted' }, ['assigned']), true);
        assert.equal(await store.jobs.updateAttempt(a1.id, { state: 'accepted' }, ['assigned']), false, 'state already moved');
        assert.equal(await store.jobs.updateAttempt(a1.id, { state: 'running' }, ['accepted']), true);
        assert.equal(await store.jobs.updateAttempt(a1.id, { state: 'ended', outcome: 'completed', exit_code: 0, ended_at: AT }, ['running', 'finalizing']), true);
        assert.equal(await store.jobs.updateAttempt(a1.id, { state: 'running' }, ['assigned', 'accepted', 'running']), false, 'an ended attempt stays ended');
        assert.equal(await store.jobs.updateAttempt('nope', { state: 'running' }), false);
        assert.equal(await store.jobs.updateAttempt(a2.id, { reason: 'note' }), true, 'no guard');
        const got = await store.jobs.getAttempt(a1.id);
        assert.equal(got?.state, 'ended');
        assert.equal(got?.outcome, 'completed');
        assert.equal(got?.exit_code, 0);
        assert.deepEqual(await store.jobs.busySlots(['n1']), new Map([['n1', 1]]));
      });
    });

    describe('logs', () => {
      it('append is idempotent per (attempt, stream, offset) and returns only new lines, in seq order', async () => {
        const store = await freshStore();
        const first = await store.logs.append('j1', 1, lines(0, 3));
        assert.equal(first.length, 3);
        assert.deepEqual(first.map((l) => [l.attempt, l.stream, l.offset, l.ts, l.text]), lines(0, 3).map((l) => [1, l.stream, l.offset, l.ts, l.text]));
        for (let i = 1; i < first.length; i++) assert.ok(first[i].seq > first[i - 1].seq, 'seq increases');

        assert.deepEqual(await store.logs.append('j1', 1, lines(0, 3)), [], 'a re-send adds nothing');
        const mixed = await store.logs.append('j1', 1, lines(1, 4)); // lines 1..4: 1, 2 known, 3, 4 new
        assert.deepEqual(mixed.map((l) => l.text), ['line 3', 'line 4']);
        assert.ok(mixed[0].seq > first[2].seq);
        assert.ok(mixed[1].seq > mixed[0].seq);

        // The same offset in another stream or another attempt is another line.
        assert.equal((await store.logs.append('j1', 1, lines(0, 1, 'stderr'))).length, 1);
        assert.equal((await store.logs.append('j1', 2, lines(0, 1))).length, 1);
        assert.equal((await store.logs.append('j2', 1, lines(0, 1))).length, 1);
        assert.deepEqual(await store.logs.append('j1', 1, []), []);

        const all = await store.logs.read('j1', 0, 1000);
        assert.deepEqual(all.map((l) => `${l.attempt}/${l.stream}/${l.text}`), [
          '1/stdout/line 0',
          '1/stdout/line 1',
          '1/stdout/line 2',
          '1/stdout/line 3',
          '1/stdout/line 4',
          '1/stderr/line 0',
          '2/stdout/line 0',
        ]);
        assert.equal(await count(store, 'log_lines'), 8);
      });

      it('a re-send inside one call with duplicates of itself stores each line once', async () => {
        const store = await freshStore();
        const batch = [...lines(0, 3), ...lines(1, 2)];
        const got = await store.logs.append('j', 1, batch);
        assert.deepEqual(got.map((l) => l.text), ['line 0', 'line 1', 'line 2']);
        assert.equal(await count(store, 'log_lines'), 3);
      });

      it('2,000 lines in one call are stored in chunks, in order; read pages through them', async () => {
        const store = await freshStore();
        const batch = lines(0, 2000);
        const got = await store.logs.append('big', 1, batch);
        assert.equal(got.length, 2000);
        assert.deepEqual(got.map((l) => l.text), batch.map((l) => l.text), 'returned in the order sent');
        for (let i = 1; i < got.length; i++) assert.ok(got[i].seq > got[i - 1].seq, `seq increases at ${i}`);
        assert.deepEqual(await store.logs.append('big', 1, batch), [], 'a re-send of 2,000 adds nothing');
        assert.equal(await count(store, 'log_lines'), 2000);

        const pages: number[] = [];
        const read: string[] = [];
        let after = 0;
        for (;;) {
          const page = await store.logs.read('big', after, 300);
          if (page.length === 0) break;
          pages.push(page.length);
          read.push(...page.map((l) => l.text));
          for (const l of page) assert.ok(l.seq > after);
          after = page[page.length - 1].seq;
        }
        assert.deepEqual(pages, [300, 300, 300, 300, 300, 300, 200]);
        assert.deepEqual(read, batch.map((l) => l.text));

        const mid = got[999].seq;
        const tail = await store.logs.read('big', mid, 5);
        assert.deepEqual(tail.map((l) => l.text), ['line 1000', 'line 1001', 'line 1002', 'line 1003', 'line 1004']);
        assert.deepEqual(await store.logs.read('big', got[1999].seq, 10), []);
        assert.deepEqual(await store.logs.read('other', 0, 10), []);
      });

      it('offsets beyond 32 bits round-trip as JS numbers', async () => {
        const store = await freshStore();
        const big = 5_000_000_000;
        const got = await store.logs.append('j', 1, [
          { stream: 'stdout', offset: big, ts: AT, text: 'far' },
          { stream: 'stdout', offset: Number.MAX_SAFE_INTEGER, ts: AT, text: 'farthest' },
        ]);
        assert.deepEqual(got.map((l) => l.offset), [big, Number.MAX_SAFE_INTEGER]);
        for (const l of got) {
          assert.equal(typeof l.offset, 'number');
          assert.equal(typeof l.seq, 'number');
        }
        const read = await store.logs.read('j', 0, 10);
        assert.deepEqual(read.map((l) => l.offset), [big, Number.MAX_SAFE_INTEGER]);
        assert.equal(typeof read[0].offset, 'number');
        assert.deepEqual(await store.logs.append('j', 1, [{ stream: 'stdout', offset: big, ts: AT, text: 'far' }]), []);
      });

      it('unicode text round-trips exactly', async () => {
        const store = await freshStore();
        const texts = [
          'ascii',
          'Grüße, naïve café — “quotes” ‘single’ … ½ °C',
          '日本語のログ行 / 中文日志 / 한국어',
          'emoji 🚀🔥👩‍👩‍👧‍👦 🇫🇷 astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
          'e\u0301 combining, zero\u200bwidth, bidi \u202eRTL\u202c, مرحبا, שלום',
          "quotes ' \" \\ backslash; DROP TABLE log_lines; --",
          'tabs\tand\rcarriage return',
          '',
          '\u{10FFFF} last code point, \uFFFD replacement',
          'x'.repeat(100_000) + 'é',
        ];
        const sent = texts.map((text, i) => ({ stream: 'stdout', offset: i, ts: '2025-01-01T00:00:00.000+09:00', text }));
        const got = await store.logs.append('u', 1, sent);
        assert.deepEqual(got.map((l) => l.text), texts);
        const read = await store.logs.read('u', 0, 100);
        assert.deepEqual(read.map((l) => l.text), texts);
        assert.equal(read[0].ts, '2025-01-01T00:00:00.000+09:00');
        // Unicode in other text columns too.
        const j = job({ name: 'ünïcödé-名前', display_name: '🚀 run', experiment_name: 'эксперимент' });
        await store.jobs.insert(j, 'soumis — ok ✓', AT);
        const back = await store.jobs.getByName('default', 'ünïcödé-名前');
        assert.equal(back?.display_name, '🚀 run');
        assert.deepEqual(await store.jobs.list({ workspace: 'default', experiment_name: 'эксперимент' }).then((r) => r.map((x) => x.id)), [j.id]);
        assert.equal((await store.jobs.events(j.id))[0].reason, 'soumis — ok ✓');
      });
      it('a NUL character in a line is stored as U+FFFD on both dialects, not rejected', async () => {
        const store = await freshStore();
        const got = await store.logs.append('n', 1, [
          { stream: 'stdout', offset: 0, ts: AT, text: 'a\0b\0' },
          { stream: 'stdout', offset: 4, ts: AT, text: 'after' },
        ]);
        assert.deepEqual(got.map((l) => l.text), ['a\uFFFDb\uFFFD', 'after']);
        assert.deepEqual((await store.logs.read('n', 0, 10)).map((l) => l.text), ['a\uFFFDb\uFFFD', 'after']);
      });
    });

    describe('nodes', () => {
      it('upsert inserts then updates the same name; get, forCompute and all', async () => {
        const store = await freshStore();
        await store.nodes.upsert(node({ name: 'n1', state: 'starting', slots: 1 }));
        await store.nodes.upsert(node({ name: 'n2', compute: 'other' }));
        assert.equal((await store.nodes.get('n1'))?.state, 'starting');
        await store.nodes.upsert(node({ name: 'n1', state: 'ready', slots: 4, pid: 4242, last_heartbeat_ms: T0 + 7, agent_version: '0.2.0' }));
        assert.equal(await count(store, 'nodes'), 2);
        assert.deepEqual(plain(await store.nodes.get('n1')), {
          ...node({ name: 'n1', state: 'ready', slots: 4, pid: 4242, last_heartbeat_ms: T0 + 7, agent_version: '0.2.0' }),
        });
        assert.equal(await store.nodes.get('nope'), undefined);
        assert.deepEqual((await store.nodes.forCompute('default', 'pool')).map((n) => n.name), ['n1']);
        assert.deepEqual((await store.nodes.forCompute('other-ws', 'pool')).map((n) => n.name), []);
        assert.deepEqual((await store.nodes.all()).map((n) => n.name), ['n1', 'n2']);
        await store.nodes.update('n2', { state: 'stopped', pid: null });
        assert.equal((await store.nodes.get('n2'))?.state, 'stopped');
        await store.nodes.update('n2', { token_hash: 'h2' });
        assert.equal((await store.nodes.byTokenHash('h2'))?.name, 'n2');
        assert.equal(await store.nodes.byTokenHash('none'), undefined);
      });

      it('silentSince lists ready nodes whose last heartbeat is older than the deadline, or missing', async () => {
        const store = await freshStore();
        const deadline = T0 + 10_000;
        await store.nodes.upsert(node({ name: 'fresh', last_heartbeat_ms: deadline + 1 }));
        await store.nodes.upsert(node({ name: 'edge', last_heartbeat_ms: deadline }));
        await store.nodes.upsert(node({ name: 'stale', last_heartbeat_ms: deadline - 1 }));
        await store.nodes.upsert(node({ name: 'never', last_heartbeat_ms: null }));
        await store.nodes.upsert(node({ name: 'stopped', state: 'stopped', last_heartbeat_ms: T0 }));
        await store.nodes.upsert(node({ name: 'unreachable', state: 'unreachable', last_heartbeat_ms: T0 }));
        assert.deepEqual((await store.nodes.silentSince(deadline)).map((n) => n.name).sort(), ['never', 'stale']);
        await store.nodes.update('stale', { last_heartbeat_ms: deadline + 5 });
        assert.deepEqual((await store.nodes.silentSince(deadline)).map((n) => n.name), ['never']);
      });
    });

    describe('resources', () => {
      it('ensureWorkspace and ensureCompute are idempotent: the first write wins', async () => {
        const store = await freshStore();
        await store.resources.ensureWorkspace('default', AT);
        await store.resources.ensureWorkspace('default', '2030-01-01T00:00:00.000Z');
        await store.resources.ensureWorkspace('team', AT);
        assert.equal(await count(store, 'workspaces'), 2);
        const ws = await store.db.selectFrom('workspaces').selectAll().where('name', '=', 'default').executeTakeFirst();
        assert.equal(ws?.created_at, AT);

        const compute = { workspace: 'default', name: 'local', type: 'local', spec: '{"a":1}', provisioning_state: 'Succeeded', created_at: AT };
        assert.equal(await store.computes.insert(compute), true);
        assert.equal(await store.computes.insert({ ...compute, spec: '{"a":2}', provisioning_state: 'Creating' }), false);
        await store.computes.insert({ ...compute, workspace: 'team' });
        await store.computes.insert({ ...compute, name: 'gpu', type: 'amlcompute' });
        assert.deepEqual(plain(await store.computes.get('default', 'local')), {
          ...compute,
          provisioning_errors: '[]',
          secrets: null,
          host_key: null,
          power_state: null,
          pending_action: null,
          pending_force: 0,
          lease_owner: null,
          lease_until: null,
          updated_at: null,
          scaler_owner: null,
          scaler_until: null,
        });
        assert.equal(await store.computes.get('default', 'nope'), undefined);
        assert.deepEqual((await store.computes.list('default')).map((c) => c.name), ['gpu', 'local']);
        assert.deepEqual((await store.computes.list('team')).map((c) => c.name), ['local']);
        assert.equal(await count(store, 'computes'), 3);
      });

      it('the provisioner claims busy computes with a lease that only its owner can use', async () => {
        const store = await freshStore();
        await store.resources.ensureWorkspace('default', AT);
        const base = { workspace: 'default', type: 'virtualmachine', spec: '{}', created_at: AT };
        await store.computes.insert({ ...base, name: 'idle', provisioning_state: 'Succeeded' });
        await store.computes.insert({ ...base, name: 'new', provisioning_state: 'Creating' });
        await store.computes.insert({ ...base, name: 'stopping', provisioning_state: 'Succeeded', pending_action: 'stop' });
        const now = 1_000_000;
        const a = await store.computes.claimPending('a', now, now + 30_000, 10);
        assert.deepEqual(a.map((c) => c.name).sort(), ['new', 'stopping']);
        assert.equal(a[0].lease_owner, 'a');
        assert.deepEqual(await store.computes.claimPending('b', now + 1, now + 30_001, 10), [], 'leased rows are not claimed twice');
        assert.equal(await store.computes.update('default', 'new', { provisioning_state: 'Succeeded' }, { leaseOwner: 'b' }), false, 'a lease guard keeps other owners out');
        assert.equal(await store.computes.update('default', 'new', { provisioning_state: 'Succeeded' }, { leaseOwner: 'a' }), true);
        assert.equal(await store.computes.release('default', 'stopping', 'a'), true);
        assert.deepEqual((await store.computes.claimPending('b', now + 2, now + 30_002, 10)).map((c) => c.name), ['stopping']);
        const expired = await store.computes.claimPending('c', now + 60_000, now + 90_000, 10);
        assert.deepEqual(expired.map((c) => c.name), ['stopping'], 'an expired lease can be taken over');
        assert.equal(await store.computes.remove('default', 'stopping', { leaseOwner: 'b' }), false);
        assert.equal(await store.computes.remove('default', 'stopping', { leaseOwner: 'c' }), true);
      });

      it('putSnapshot is idempotent; large sizes round-trip as numbers', async () => {
        const store = await freshStore();
        const snap = { id: 'sha256:abc', workspace: 'default', file_count: 10_000, total_size: 5_000_000_000, created_at: AT };
        await store.resources.putSnapshot(snap);
        await store.resources.putSnapshot({ ...snap, file_count: 1, created_at: '2030-01-01T00:00:00.000Z' });
        assert.equal(await count(store, 'snapshots'), 1);
        const got = await store.resources.getSnapshot('sha256:abc');
        assert.deepEqual(plain(got), snap);
        assert.equal(typeof got?.total_size, 'number');
        assert.equal(await store.resources.getSnapshot('nope'), undefined);
      });

      it('putArtifacts replaces size and sha256 on the same path and chunks large batches', async () => {
        const store = await freshStore();
        await store.resources.putArtifacts('j1', [
          { path: 'outputs/model.pt', size: 10, sha256: 'a'.repeat(64) },
          { path: 'outputs/metrics.json', size: 2, sha256: 'b'.repeat(64) },
        ]);
        await store.resources.putArtifacts('j1', [{ path: 'outputs/model.pt', size: 5_000_000_000, sha256: 'c'.repeat(64) }]);
        await store.resources.putArtifacts('j2', [{ path: 'outputs/model.pt', size: 1, sha256: 'd'.repeat(64) }]);
        assert.deepEqual((await store.resources.artifacts('j1')).map(plain), [
          { job_id: 'j1', path: 'outputs/metrics.json', size: 2, sha256: 'b'.repeat(64) },
          { job_id: 'j1', path: 'outputs/model.pt', size: 5_000_000_000, sha256: 'c'.repeat(64) },
        ]);
        assert.equal((await store.resources.artifacts('j2'))[0].size, 1);
        await store.resources.putArtifacts('j3', []);

        const many = Array.from({ length: 1234 }, (_, i) => ({ path: `outputs/f${String(i).padStart(5, '0')}-ü.bin`, size: i, sha256: i.toString(16).padStart(64, '0') }));
        await store.resources.putArtifacts('j3', many);
        await store.resources.putArtifacts('j3', many.map((a) => ({ ...a, size: a.size + 1 })));
        const got = await store.resources.artifacts('j3');
        assert.equal(got.length, 1234);
        assert.deepEqual(got.map((a) => a.size), many.map((a) => a.size + 1));
      });
    });

    describe('tracking', () => {
      async function withRun(store: Store, runId = 'run1'): Promise<void> {
        await store.runs.insertRun(
          { run_id: runId, experiment_id: 0, name: 'r', user_id: 'u', status: 'RUNNING', start_time: T0, end_time: null, lifecycle_stage: 'active', deleted_time: null, job_id: null, created_by_job: null },
          [{ key: 'mlflow.runName', value: 'r' }],
        );
      }
      const pts = (key: string, from: number, n: number, f = (i: number) => i / 7) =>
        Array.from({ length: n }, (_, i) => ({ key, value: f(from + i), timestamp: T0 + from + i, step: from + i }));
      const history = async (store: Store, key: string, offset = 0, limit = 1e9) => {
        const h = await store.metrics.history('run1', key, offset, limit);
        const out: number[][] = [];
        for (let i = 0; i < h.points.length; i += 3) out.push([h.points[i], h.points[i + 1], h.points[i + 2]]);
        return { points: out, total: h.total };
      };

      it('the Default experiment 0 exists; new experiments get ids from 1 and unique names per workspace', async () => {
        const store = await freshStore();
        assert.equal((await store.runs.experimentById(0))?.name, 'Default');
        const id = await store.runs.createExperiment('default', 'e1', (n) => `mlflow-artifacts:/${n}`, T0);
        assert.equal(id, 1);
        assert.equal((await store.runs.experimentByName('default', 'e1'))?.artifact_location, 'mlflow-artifacts:/1');
        await assert.rejects(store.runs.createExperiment('default', 'e1', String, T0), (e) => isUniqueViolation(e));
      });

      it('a batch stores params, tags and points; latest is by max step then max timestamp, NaN and infinities kept', async () => {
        const store = await freshStore();
        await withRun(store);
        const r = await store.metrics.writeBatch({
          runId: 'run1',
          params: [{ key: 'lr', value: '0.1' }],
          tags: [{ key: 't', value: '1' }],
          metrics: [
            { key: 'loss', value: 3, timestamp: T0 + 5, step: 2 },
            { key: 'loss', value: 1, timestamp: T0 + 9, step: 1 },
            { key: 'loss', value: 2, timestamp: T0 + 1, step: 2 },
            { key: 'nan', value: NaN, timestamp: T0, step: 0 },
            { key: 'inf', value: -Infinity, timestamp: T0, step: 0 },
          ],
        });
        assert.deepEqual(r, { ok: true, duplicate: false });
        const latest = Object.fromEntries((await store.metrics.latest('run1')).map((m) => [m.key, m]));
        assert.deepEqual({ ...latest.loss }, { key: 'loss', value: 3, timestamp: T0 + 5, step: 2 });
        assert.ok(Number.isNaN(latest.nan.value));
        assert.equal(latest.inf.value, -Infinity);
        assert.deepEqual((await history(store, 'loss')).points, [[2, T0 + 5, 3], [1, T0 + 9, 1], [2, T0 + 1, 2]], 'logging order');
        assert.deepEqual((await store.runs.params(['run1'])).get('run1'), { lr: '0.1' });
        assert.deepEqual((await store.runs.tags(['run1'])).get('run1'), { 'mlflow.runName': 'r', t: '1' });
        // A later batch with an older step does not move "latest".
        await store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: [{ key: 'loss', value: 9, timestamp: T0 + 99, step: 0 }] });
        assert.equal((await store.metrics.latest('run1')).find((m) => m.key === 'loss')?.value, 3);
      });

      it('a changed param refuses the whole batch; the same digest twice stores once', async () => {
        const store = await freshStore();
        await withRun(store);
        await store.metrics.writeBatch({ runId: 'run1', params: [{ key: 'lr', value: '0.1' }], tags: [], metrics: [] });
        const refused = await store.metrics.writeBatch({ runId: 'run1', params: [{ key: 'lr', value: '0.2' }], tags: [{ key: 'x', value: 'y' }], metrics: pts('m', 0, 3) });
        assert.deepEqual(refused, { ok: false, paramConflict: { key: 'lr', old: '0.1', new: '0.2' } });
        assert.equal((await history(store, 'm')).total, 0, 'nothing of the refused batch was written');
        assert.equal((await store.runs.tags(['run1'])).get('run1')?.x, undefined);
        const b = { runId: 'run1', params: [], tags: [], metrics: pts('m', 0, 3), digest: 'd1' };
        assert.deepEqual(await store.metrics.writeBatch(b), { ok: true, duplicate: false });
        assert.deepEqual(await store.metrics.writeBatch(b), { ok: true, duplicate: true });
        assert.equal((await history(store, 'm')).total, 3);
      });

      it('the guard runs inside the transaction and can refuse; an unknown run is reported', async () => {
        const store = await freshStore();
        await withRun(store);
        await assert.rejects(
          store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: pts('m', 0, 2), guard: () => { throw new Error('no'); } }),
          /no/,
        );
        assert.equal((await history(store, 'm')).total, 0);
        assert.deepEqual(await store.metrics.writeBatch({ runId: 'nope', params: [], tags: [], metrics: pts('m', 0, 1), guard: () => {} }), { ok: false, noSuchRun: true });
      });

      it('history pages across chunks; compaction merges small chunks and keeps every point in order', async () => {
        const store = await freshStore();
        await withRun(store);
        for (let i = 0; i < 150; i++) await store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: pts('m', i, 1) });
        await store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: pts('m', 150, 2000) });
        const before = await history(store, 'm');
        assert.equal(before.total, 2150);
        assert.deepEqual(await store.metrics.fragmentedSeries(10), [1]);
        const merged = await store.metrics.compact(1);
        assert.equal(merged, 150);
        assert.deepEqual(await store.metrics.fragmentedSeries(10), []);
        const chunks = await store.db.selectFrom('metric_chunks').select(['start_index', 'count']).orderBy('start_index').execute();
        assert.deepEqual(chunks.map((c) => [Number(c.start_index), Number(c.count)]), [[0, 150], [150, 2000]]);
        const after = await history(store, 'm');
        assert.deepEqual(after.points, before.points);
        const page = await history(store, 'm', 140, 20);
        assert.deepEqual(page.points, before.points.slice(140, 160), 'a page spanning two chunks');
        assert.equal((await history(store, 'm', 2150, 10)).points.length, 0);
      });

      it("records the job attempt that logged each point, only on that job's run, and compaction never mixes attempts", async () => {
        const store = await freshStore();
        await store.runs.insertRun(
          { run_id: 'jobrun', experiment_id: 0, name: 'r', user_id: 'u', status: 'RUNNING', start_time: T0, end_time: null, lifecycle_stage: 'active', deleted_time: null, job_id: 'job-a', created_by_job: null },
          [],
        );
        for (let i = 0; i < 3; i++) await store.metrics.writeBatch({ runId: 'jobrun', params: [], tags: [], metrics: pts('m', i, 1), attempt: { jobId: 'job-a', number: 1 } });
        for (let i = 3; i < 5; i++) await store.metrics.writeBatch({ runId: 'jobrun', params: [], tags: [], metrics: pts('m', i, 1), attempt: { jobId: 'job-a', number: 2 } });
        await store.metrics.writeBatch({ runId: 'jobrun', params: [], tags: [], metrics: pts('m', 5, 1), attempt: { jobId: 'another-job', number: 7 } });
        while ((await store.metrics.compact(1)) > 0);
        assert.deepEqual(await store.metrics.attemptRanges('jobrun', 'm'), [
          { attempt: 1, start: 0, count: 3 },
          { attempt: 2, start: 3, count: 2 },
          { attempt: null, start: 5, count: 1 },
        ]);
        assert.equal((await store.metrics.history('jobrun', 'm', 0, 100)).total, 6);
      });

      it('compaction works in short steps: at most 512 chunks a transaction, until nothing small is left', async () => {
        const store = await freshStore();
        await withRun(store);
        for (let i = 0; i < 600; i++) await store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: pts('m', i, 1) });
        const before = await history(store, 'm');
        assert.equal(await store.metrics.compact(1), 512);
        assert.deepEqual(await store.metrics.fragmentedSeries(10), [1], '88 small chunks are still waiting');
        assert.equal(await store.metrics.compact(1), 88);
        assert.equal(await store.metrics.compact(1), 0);
        assert.deepEqual(await store.metrics.fragmentedSeries(10), []);
        assert.deepEqual((await history(store, 'm')).points, before.points);
        const chunks = await store.db.selectFrom('metric_chunks').select(['start_index', 'count']).execute();
        assert.deepEqual(chunks.map((c) => [Number(c.start_index), Number(c.count)]).sort((a, b) => a[0] - b[0]), [[0, 512], [512, 88]]);
      });

      it('downsampling gives min, max and last per step bucket, equal to a brute-force reading', async () => {
        const store = await freshStore();
        await withRun(store);
        const f = (i: number) => Math.sin(i / 10) * 100;
        for (let i = 0; i < 10; i++) await store.metrics.writeBatch({ runId: 'run1', params: [], tags: [], metrics: pts('m', i * 337, 337, f) });
        const buckets = await store.metrics.downsample('run1', 'm', { buckets: 7, startStep: 100, endStep: 2999 });
        const width = (2999 - 100 + 1) / 7;
        for (let b = 0; b < 7; b++) {
          const inside = Array.from({ length: 3370 }, (_, s) => s).filter((s) => s >= 100 && s <= 2999 && Math.min(6, Math.floor((s - 100) / width)) === b);
          const got = buckets[b];
          assert.equal(got.count, inside.length);
          assert.equal(got.min, Math.min(...inside.map(f)));
          assert.equal(got.max, Math.max(...inside.map(f)));
          assert.equal(got.last_step, inside[inside.length - 1]);
          assert.equal(got.last, f(inside[inside.length - 1]));
          assert.equal(got.start_step, inside[0]);
        }
        assert.deepEqual(await store.metrics.downsample('run1', 'missing', { buckets: 5 }), []);
        const whole = await store.metrics.downsample('run1', 'm', { buckets: 3 });
        assert.equal(whole.reduce((n, b) => n + b.count, 0), 3370);
      });

      it("a job's run follows the job's status in the same transition", async () => {
        const store = await freshStore();
        const j = job();
        await store.jobs.insert(j, 'submitted', AT);
        await store.runs.insertRun({ run_id: j.id, experiment_id: 0, name: 'r', user_id: 'u', status: 'SCHEDULED', start_time: T0, end_time: null, lifecycle_stage: 'active', deleted_time: null, job_id: j.id, created_by_job: null }, []);
        await store.jobs.transition(j.id, 'Running', null, AT);
        assert.equal((await store.runs.run(j.id))?.status, 'RUNNING');
        await store.jobs.transition(j.id, 'Failed', 'exit 1', '2025-01-01T00:00:01.000Z');
        const run = await store.runs.run(j.id);
        assert.equal(run?.status, 'FAILED');
        assert.equal(run?.end_time, Date.parse('2025-01-01T00:00:01.000Z'));
      });
    });

    describe('environments', () => {
      const env = (name: string, version: string, at: string, extra: Partial<{ archived: number; spec_hash: string }> = {}) => ({
        workspace: 'default',
        name,
        version,
        version_num: /^\d+$/.test(version) ? Number(version) : null,
        spec: JSON.stringify({ name, version, image: 'python:3.11' }),
        spec_hash: 'a'.repeat(64),
        archived: 0,
        created_at: at,
        created_by: 'u',
        ...extra,
      });

      it('versions are unique per name; latest is the version created last; archived ones leave latest and lists', async () => {
        const store = await freshStore();
        await store.environments.insert(env('train', '1', '2026-01-01T00:00:00.000Z'));
        await store.environments.insert(env('train', '2', '2026-01-02T00:00:00.000Z'));
        await store.environments.insert(env('train', '10', '2026-01-03T00:00:00.000Z'));
        await store.environments.insert(env('eval', 'beta', '2026-01-01T00:00:00.000Z'));
        await store.environments.insert({ ...env('other', '1', AT), workspace: 'team' });
        await assert.rejects(store.environments.insert(env('train', '2', AT)), (err) => isUniqueViolation(err));
        assert.equal((await store.environments.latest('default', 'train'))?.version, '10');
        assert.deepEqual((await store.environments.versions('default', 'train', false)).map((v) => v.version), ['10', '2', '1']);
        assert.equal(await store.environments.maxNumericVersion('default', 'train'), 10);
        assert.equal(await store.environments.maxNumericVersion('default', 'eval'), 0);
        assert.deepEqual((await store.environments.list('default', false)).map((v) => `${v.name}:${v.version}`), ['eval:beta', 'train:10']);
        assert.deepEqual(await store.environments.names('team'), ['other']);

        assert.equal(await store.environments.setArchived('default', 'train', '10', true), 1);
        assert.equal((await store.environments.latest('default', 'train'))?.version, '2');
        assert.equal((await store.environments.get('default', 'train', '10'))?.archived, 1, 'an archived version is still there by its number');
        assert.deepEqual((await store.environments.versions('default', 'train', true)).map((v) => v.version), ['10', '2', '1']);
        assert.equal(await store.environments.maxNumericVersion('default', 'train'), 10, 'a new version never reuses an archived number');

        assert.equal(await store.environments.setArchived('default', 'eval', null, true), 1);
        assert.deepEqual((await store.environments.list('default', false)).map((v) => v.name), ['train']);
        assert.deepEqual((await store.environments.list('default', true)).map((v) => `${v.name}:${v.version}`), ['eval:beta', 'train:10']);
        assert.equal(await store.environments.setArchived('default', 'nope', null, true), 0);
      });
    });

    describe('components', () => {
      const comp = (name: string, version: string, at: string, extra: Partial<{ archived: number; workspace: string; snapshot_id: string | null }> = {}) => ({
        workspace: 'default',
        name,
        version,
        version_num: /^\d+$/.test(version) ? Number(version) : null,
        spec: JSON.stringify({ name, version, command: 'echo' }),
        spec_hash: 'c'.repeat(64),
        snapshot_id: 's'.repeat(64),
        archived: 0,
        created_at: at,
        created_by: 'u',
        ...extra,
      });

      it('versions are unique per name; latest is the version created last; archived ones leave latest and lists', async () => {
        const store = await freshStore();
        await store.components.insert(comp('train', '1', '2026-01-01T00:00:00.000Z'));
        await store.components.insert(comp('train', '2', '2026-01-02T00:00:00.000Z', { snapshot_id: null }));
        await store.components.insert(comp('train', '10', '2026-01-03T00:00:00.000Z'));
        await store.components.insert(comp('prep', 'beta', '2026-01-01T00:00:00.000Z'));
        await store.components.insert(comp('other', '1', AT, { workspace: 'team' }));
        await assert.rejects(store.components.insert(comp('train', '2', AT)), (err) => isUniqueViolation(err));
        assert.equal((await store.components.latest('default', 'train'))?.version, '10');
        assert.equal((await store.components.get('default', 'train', '2'))?.snapshot_id, null);
        assert.deepEqual((await store.components.versions('default', 'train', false)).map((v) => v.version), ['10', '2', '1']);
        assert.equal(await store.components.maxNumericVersion('default', 'train'), 10);
        assert.equal(await store.components.maxNumericVersion('default', 'prep'), 0);
        assert.deepEqual((await store.components.list('default', false)).map((v) => `${v.name}:${v.version}`), ['prep:beta', 'train:10']);
        assert.deepEqual(await store.components.names('team'), ['other']);

        assert.equal(await store.components.setArchived('default', 'train', '10', true), 1);
        assert.equal((await store.components.latest('default', 'train'))?.version, '2');
        assert.equal((await store.components.get('default', 'train', '10'))?.archived, 1, 'an archived version is still there by its number');
        assert.equal(await store.components.maxNumericVersion('default', 'train'), 10, 'a new version never reuses an archived number');
        assert.equal(await store.components.setArchived('default', 'prep', null, true), 1);
        assert.deepEqual((await store.components.list('default', false)).map((v) => v.name), ['train']);
        assert.deepEqual((await store.components.list('default', true)).map((v) => `${v.name}:${v.version}`), ['prep:beta', 'train:10']);
        assert.equal(await store.components.setArchived('default', 'nope', null, true), 0);
      });
    });

    describe('data and model assets, datastores', () => {
      const version = (name: string, v: string, ms: number, extra: Partial<{ archived: number; content_key: string; job_id: string; kind: string }> = {}) => ({
        workspace: 'default',
        kind: 'data',
        name,
        version: v,
        version_num: /^\d+$/.test(v) ? Number(v) : null,
        type: 'uri_folder',
        snapshot_id: 's'.repeat(64),
        file: null,
        file_count: 3,
        total_size: 5_000_000_000,
        path: './data',
        content_key: `key-${name}-${v}`,
        description: null,
        tags: '{}',
        properties: null,
        stage: null,
        archived: 0,
        job_id: null,
        run_id: null,
        created_at: new Date(ms).toISOString(),
        created_ms: ms,
        updated_ms: ms,
        created_by: 'u',
        ...extra,
      });

      it('versions are unique per kind and name; latest is the last made; content finds its version; lineage both ways', async () => {
        const store = await freshStore();
        const t0 = 1_767_225_600_000;
        assert.equal(await store.assets.ensureContainer({ workspace: 'default', kind: 'data', name: 'iris', description: null, tags: '{}', created_ms: t0, updated_ms: t0 }), true);
        assert.equal(await store.assets.ensureContainer({ workspace: 'default', kind: 'data', name: 'iris', description: null, tags: '{}', created_ms: t0, updated_ms: t0 }), false);
        await store.assets.insert(version('iris', '1', t0));
        await store.assets.insert(version('iris', '2', t0 + 1, { job_id: 'job-a' }));
        await store.assets.insert(version('iris', '10', t0 + 2, { content_key: 'same' }));
        await store.assets.insert(version('iris', '1', t0, { kind: 'model' }));
        await assert.rejects(store.assets.insert(version('iris', '2', t0)), (err) => isUniqueViolation(err));
        assert.equal((await store.assets.latest('default', 'data', 'iris'))?.version, '10');
        assert.equal(Number((await store.assets.get('default', 'data', 'iris', '1'))?.total_size), 5_000_000_000, 'sizes past 32 bits');
        assert.equal(await store.assets.maxNumericVersion('default', 'data', 'iris'), 10);
        await store.assets.deleteVersion('default', 'data', 'iris', '10');
        assert.equal(await store.assets.maxNumericVersion('default', 'data', 'iris'), 10, 'a deleted version number is never given again');
        await store.assets.insert(version('iris', '10', t0 + 2, { content_key: 'same' }));
        assert.equal((await store.assets.byContent('default', 'data', 'iris', 'same'))?.version, '10');
        assert.equal(await store.assets.byContent('default', 'model', 'iris', 'same'), undefined, 'kinds apart');
        assert.equal(await store.assets.setArchived('default', 'data', 'iris', '10', true), 1);
        assert.equal((await store.assets.latest('default', 'data', 'iris'))?.version, '2');
        assert.deepEqual((await store.assets.all('default', 'data', false, 100)).map((r) => r.version), ['2', '1']);
        assert.deepEqual((await store.assets.producedBy('job-a')).map((r) => r.version), ['2']);
        await store.assets.putJobInputs([
          { job_id: 'job-b', name: 'train', type: 'uri_folder', mode: 'ro_mount', uri: 'azureml:iris:2', snapshot_id: 's'.repeat(64), asset_kind: 'data', asset_name: 'iris', asset_version: '2' },
          { job_id: 'job-b', name: 'url', type: 'uri_file', mode: 'download', uri: 'http://x/y.csv', snapshot_id: null, asset_kind: null, asset_name: null, asset_version: null },
        ]);
        assert.deepEqual(await store.assets.consumers('data', 'iris', '2'), ['job-b']);
        assert.deepEqual((await store.assets.jobInputs('job-b')).map((r) => r.name), ['train', 'url']);
        await store.assets.setAlias('default', 'iris', 'champion', '1');
        await store.assets.setAlias('default', 'iris', 'champion', '1');
        assert.deepEqual((await store.assets.aliases('default', 'iris')).map((a) => `${a.alias}=${a.version}`), ['champion=1']);
        const byName = await store.assets.versionsOf('default', 'data', ['iris', 'absent']);
        assert.deepEqual(byName.get('iris')!.map((r) => r.version), ['10', '2', '1']);
        assert.deepEqual(byName.get('absent'), []);
        assert.deepEqual([...(await store.assets.aliasesOf('default', ['iris', 'absent']))].map(([n, a]) => `${n}:${a.map((x) => x.alias).join(',')}`), ['iris:champion', 'absent:']);
        await store.assets.deleteContainer('default', 'model', 'iris');
        assert.deepEqual(await store.assets.aliases('default', 'iris'), []);
        assert.equal((await store.assets.versions('default', 'data', 'iris', true)).length, 3, 'the data name is untouched');
      });

      it('datastores round-trip; stamps are upserted in chunks', async () => {
        const store = await freshStore();
        await store.datastores.insert({ workspace: 'default', name: 'lake', type: 's3', spec: '{"bucket":"b"}', secrets: 'v1:sealed', created_at: AT });
        await assert.rejects(store.datastores.insert({ workspace: 'default', name: 'lake', type: 's3', spec: '{}', secrets: null, created_at: AT }), (err) => isUniqueViolation(err));
        await store.datastores.replace({ workspace: 'default', name: 'lake', type: 's3', spec: '{"bucket":"c"}', secrets: null, created_at: AT });
        assert.equal((await store.datastores.get('default', 'lake'))?.spec, '{"bucket":"c"}');
        const stamps = Array.from({ length: 1200 }, (_, i) => ({ key: `k${i}`, sha256: 'a'.repeat(64) }));
        await store.datastores.setStamps(stamps);
        await store.datastores.setStamps([{ key: 'k5', sha256: 'b'.repeat(64) }]);
        assert.equal(await store.datastores.stamp('k5'), 'b'.repeat(64));
        assert.equal(await store.datastores.stamp('k1199'), 'a'.repeat(64));
        assert.equal(await count(store, 'datastore_stamps'), 1200);
        assert.equal(await store.datastores.delete('default', 'lake'), 1);
        assert.deepEqual(await store.datastores.list('default'), []);
      });
    });

    describe('large numbers', () => {
      it('millisecond times and leases beyond 32 bits round-trip as numbers on jobs and nodes', async () => {
        const store = await freshStore();
        const row = job({ queued_at_ms: 5_000_000_000_000, lease_owner: 'o', lease_until: 5_000_000_000_123 });
        await store.jobs.insert(row, 'submitted', AT);
        const got = await store.jobs.getById(row.id);
        assert.equal(got?.queued_at_ms, 5_000_000_000_000);
        assert.equal(got?.lease_until, 5_000_000_000_123);
        assert.equal(typeof got?.queued_at_ms, 'number');
        await store.nodes.upsert(node({ name: 'n', last_heartbeat_ms: 5_000_000_000_001 }));
        const n = await store.nodes.get('n');
        assert.equal(n?.last_heartbeat_ms, 5_000_000_000_001);
        assert.equal(typeof n?.last_heartbeat_ms, 'number');
      });
    });
  });
}

/** The PostgreSQL URL a store was opened on is not kept with credentials; tests know theirs. */
async function reopenUrl(store: Store): Promise<string> {
  const r = await sql<{ db: string }>`select current_database() as db`.execute(store.db);
  const base = new URL(pgAvailability.url!);
  base.pathname = `/${r.rows[0].db}`;
  return base.toString();
}
