// How fast a cluster of the local provider reacts, on a real server (medians of RUNS tries):
// - scale-up decision: a job submitted to an empty cluster -> the autoscaler's "scaled up" event;
// - new node ready: that event -> the node's agent registered (state ready);
// - warm node: a job queued behind another on a 1-node cluster -> placed, after the first ended.
// Same-run baseline: a job on the warm `local` compute, submitted -> placed (Queued -> Preparing),
// the fastest path through the same scheduler. Prints one JSON object.
import { CairnClient } from '../src/sdk/client.ts';
import { runCli, TestServer, waitFor } from '../test/helpers/cairn.ts';
import { median, round1 } from './lib/first-line.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const server = new TestServer({ env: { CAIRN_LOG_LEVEL: 'error' } });
await server.start();
await server.waitForAgent();
const client = new CairnClient({ url: server.url });
const at = (iso: string) => Date.parse(iso);
const placedAt = (job: { history?: { status: string; at: string }[] }) => at(job.history!.find((h) => h.status === 'Preparing')!.at);

const decision: number[] = [];
const ready: number[] = [];
const warm: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Baseline: the warm local compute.
  const b = await client.createJob({ name: `base-${i}`, command: 'true' } as never);
  const bd = await client.waitForCompletion(b.name);
  baseline.push(placedAt(bd) - at(bd.creation_context.created_at));

  // A cold cluster: decision and node start.
  const c = `cold-c${i}`;
  await runCli(['compute', 'create', '--name', c, '--type', 'amlcompute', '--size', 'Standard_DS1_v2', '--max-instances', '1', '--idle-time-before-scale-down', '60'], { env: server.cliEnv });
  const j = await client.createJob({ name: `cold-job-${i}`, compute: c, command: 'sleep 1' } as never);
  const scaled = await waitFor('the scale-up', async () => ((await client.computes.get(c)) as { scaling_history?: { at: string; message: string }[] }).scaling_history?.find((e) => e.message.startsWith('scaled up')));
  decision.push(at(scaled.at) - at(j.creation_context.created_at));
  const node = await waitFor('the node', async () => (await client.computes.listNodes(c)).find((n) => n.state === 'ready' && n.last_heartbeat));
  ready.push(at(node.last_heartbeat!) - at(scaled.at));

  // A warm node: the next job waits for it, then takes it when the first one ends.
  const next = await client.createJob({ name: `warm-job-${i}`, compute: c, command: 'true' } as never);
  const first = await client.waitForCompletion(j.name);
  const second = await client.waitForCompletion(next.name);
  warm.push(placedAt(second) - at(first.end_time!));
  await runCli(['compute', 'delete', '-n', c, '--yes', '--force'], { env: server.cliEnv });
}
await server.stop();
console.log(
  JSON.stringify({
    bench: 'cluster-timing',
    runs: RUNS,
    baseline_local_submit_to_placed_ms: round1(median(baseline)),
    scale_up_decision_ms: round1(median(decision)),
    bar_scale_up_decision_ms: 1000,
    new_node_ready_ms: round1(median(ready)),
    bar_new_node_ready_ms: 2000,
    warm_node_slot_freed_to_placed_ms: round1(median(warm)),
    bar_warm_node_ms: 300,
    note: 'new_node_ready is from the scale-up event to the agent registering; times come from the server clock (job history and node heartbeats)',
  }),
);
