// Placement throughput: 10,000 queued jobs on 200 nodes.
// 1. The scheduler alone, in this process, on a real SQLite store: 50 rounds of placing on 200
//    free nodes (the attempts are ended between rounds, untimed). Same-run baseline: the same rows
//    written by a bare loop (job update, event, attempt insert, one transaction per round), the
//    floor any scheduler on this store pays.
// 2. Through a real server's loop: 10,000 jobs queued while the compute has no free slot, then
//    200 node rows with 50 slots each appear; the time until every job is placed.
// Prints one JSON object.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Store } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { Scheduler } from '../src/reconcilers/scheduler.ts';
import { CairnClient } from '../src/sdk/client.ts';
import { TestServer, tempDir } from '../test/helpers/cairn.ts';
import { round1 } from './lib/first-line.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const NODES = 200;
const now = () => new Date().toISOString();

function jobRow(i: number, compute: string) {
  return {
    id: randomUUID(), workspace: 'default', name: `j${i}`, display_name: `j${i}`, experiment_name: 'e', compute, status: 'Queued', status_reason: null,
    spec: JSON.stringify({ command: 'true' }), snapshot_id: null, git: null, created_at: now(), created_by: 'bench', start_time: null, end_time: null,
    exit_code: null, attempt: 0, node: null, cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: Date.now() + i, environment: null, environment_record: null,
  };
}

async function seed(store: Store, compute: string): Promise<void> {
  await store.resources.ensureWorkspace('default', now());
  await store.computes.insert({ workspace: 'default', name: compute, type: 'amlcompute', spec: JSON.stringify({ type: 'amlcompute', size: 'Standard_DS1_v2', max_instances: NODES }), provisioning_state: 'Succeeded', created_at: now() });
  for (let i = 0; i < JOBS; i += 500) {
    await store.transaction(async (trx) => {
      for (let k = i; k < Math.min(JOBS, i + 500); k++) {
        const row = jobRow(k, compute);
        await store.jobs.with(trx).insert(row, 'submitted', now());
        // Each job is an MLflow run too, which follows its status.
        await trx.insertInto('runs').values({ run_id: row.id, experiment_id: 0, name: row.name, user_id: 'bench', status: 'SCHEDULED', start_time: Date.now(), end_time: null, lifecycle_stage: 'active', deleted_time: null, job_id: row.id, created_by_job: null }).execute();
      }
    });
  }
  for (let n = 0; n < NODES; n++) {
    await store.nodes.upsert({ name: `${compute}:n${n}`, label: `n${n}`, workspace: 'default', compute, state: 'ready', shape: '{"cpus":1,"memory_mb":1024,"gpus":0}', slots: 1, agent_version: '0', token_hash: `h${compute}${n}`, pid: null, last_heartbeat_ms: Date.now(), registered_at: now(), idle_since_ms: Date.now() });
  }
}

async function schedulerAlone(): Promise<{ placements_per_s: number; baseline_bare_writes_per_s: number }> {
  const store = await Store.open(`sqlite:${join(tempDir('bench-place'), 'db')}`);
  await seed(store, 'pool');
  const scheduler = new Scheduler({ store, events: new EventHub(), owner: 'bench' });
  let placed = 0;
  let ms = 0;
  while (placed < JOBS) {
    const t0 = performance.now();
    const n = await scheduler.tick();
    ms += performance.now() - t0;
    if (n === 0) throw new Error(`stuck at ${placed}`);
    placed += n;
    // The nodes free up (untimed): their attempts end.
    await store.db.updateTable('attempts').set({ state: 'ended' }).where('state', '!=', 'ended').execute();
    await store.db.updateTable('nodes').set({ idle_since_ms: Date.now() }).execute();
  }
  // Baseline: the same writes, bare.
  const base = await Store.open(`sqlite:${join(tempDir('bench-place-base'), 'db')}`);
  await seed(base, 'pool');
  const ids = (await base.db.selectFrom('jobs').select('id').orderBy('queued_at_ms').execute()).map((r) => r.id);
  const t0 = performance.now();
  for (let i = 0; i < ids.length; i += NODES) {
    await base.transaction(async (trx) => {
      for (const [k, id] of ids.slice(i, i + NODES).entries()) {
        await trx.updateTable('jobs').set({ status: 'Preparing', node: `pool:n${k}`, attempt: 1 }).where('id', '=', id).execute();
        await trx.insertInto('job_events').values({ job_id: id, status: 'Preparing', reason: 'placed', at: now(), attempt: 1 }).execute();
        await trx.insertInto('attempts').values({ id: randomUUID(), job_id: id, number: 1, node: `pool:n${k}`, state: 'assigned', assignment: '{}', assigned_at: now() }).execute();
        await trx.updateTable('runs').set({ status: 'RUNNING' }).where('job_id', '=', id).execute();
      }
    });
  }
  const baseMs = performance.now() - t0;
  await store.close();
  await base.close();
  return { placements_per_s: Math.round(JOBS / (ms / 1000)), baseline_bare_writes_per_s: Math.round(JOBS / (baseMs / 1000)) };
}

async function throughServer(): Promise<{ placements_per_s: number; wall_ms: number }> {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '1'], env: { CAIRN_LOG_LEVEL: 'error', CAIRN_HEARTBEAT_MS: '600000' } });
  await server.start();
  await server.waitForAgent();
  // The local agent is paused: its one slot fills and every other job waits; nothing runs.
  process.kill(server.agentPid()!, 'SIGSTOP');
  const client = new CairnClient({ url: server.url });
  for (let i = 0; i < JOBS; i += 50) await Promise.all(Array.from({ length: Math.min(50, JOBS - i) }, (_, k) => client.createJob({ name: `s${i + k}`, command: 'true' } as never)));
  const store = await Store.open(`sqlite:${join(server.dataDir, 'cairn.db')}`);
  const t0 = performance.now();
  await store.transaction(async (trx) => {
    for (let n = 0; n < NODES - 1; n++) {
      await trx.insertInto('nodes').values({ name: `extra${n}`, label: `extra${n}`, workspace: 'default', compute: 'local', state: 'ready', shape: '{"cpus":1,"memory_mb":1024,"gpus":0}', slots: Math.ceil(JOBS / (NODES - 1)), agent_version: '0', token_hash: `x${n}`, pid: null, last_heartbeat_ms: Date.now(), registered_at: now() }).execute();
    }
  });
  for (;;) {
    const [{ n }] = await store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'Queued').execute();
    if (Number(n) === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const wall = performance.now() - t0;
  await store.close();
  process.kill(server.agentPid()!, 'SIGCONT');
  await server.kill('SIGKILL');
  return { placements_per_s: Math.round(JOBS / (wall / 1000)), wall_ms: round1(wall) };
}

const alone = await schedulerAlone();
const loop = await throughServer();
console.log(
  JSON.stringify({
    bench: 'placement',
    jobs: JOBS,
    nodes: NODES,
    scheduler_alone_placements_per_s: alone.placements_per_s,
    baseline_bare_writes_per_s: alone.baseline_bare_writes_per_s,
    through_server_loop_placements_per_s: loop.placements_per_s,
    through_server_loop_wall_ms: loop.wall_ms,
    bar_per_s: 2000,
    within_bar: alone.placements_per_s >= 2000 && loop.placements_per_s >= 2000,
  }),
);
