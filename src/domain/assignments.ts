import { randomUUID } from 'node:crypto';
import type { AttemptAssignment, RankInfo } from '../protocol/agent.ts';
import { PipOptions, ResolvedEnvironment } from '../protocol/environment.ts';
import { CommandJobSpec, type Distribution } from '../protocol/job-spec.ts';
import { JobData } from '../protocol/data.ts';
import type { JobRow, JobsRepo } from '../store/jobs.ts';
import type { NodeRow } from '../store/nodes.ts';
import { interpolateCommand } from './interpolate.ts';

/** A compute's own `pip:` settings win over the server's. */
export function pipOf(computeSpecJson: string, server: PipOptions): PipOptions {
  const own = PipOptions.safeParse(JSON.parse(computeSpecJson).pip);
  return own.success && own.data ? own.data : server;
}

export interface PreparedAssignment {
  node: string;
  attempt_id: string;
  assignment: Omit<AttemptAssignment, 'job_token'>;
}

/**
 * One assignment per process of a job's next attempt: a single one, or the ranks of a distributed
 * job over its nodes. The scheduler places them on Cairn's nodes; a batch system's submission
 * (Slurm) carries them to the nodes it picks.
 */
export function buildAssignments(job: JobRow, nodes: NodeRow[], pip: PipOptions, experimentId: number | undefined): PreparedAssignment[] {
  const spec = CommandJobSpec.parse(JSON.parse(job.spec));
  const environment = job.environment ? ResolvedEnvironment.parse(JSON.parse(job.environment)) : undefined;
  const number = job.attempt + 1;
  const data = job.data ? JobData.parse(JSON.parse(job.data)) : { inputs: [], outputs: [] };
  const base = {
    job_id: job.id,
    job_name: job.name,
    attempt: number,
    command: interpolateCommand(spec, data.inputs),
    environment_variables: spec.environment_variables ?? {},
    snapshot_id: job.snapshot_id,
    timeout_s: spec.limits?.timeout ?? null,
    experiment_name: job.experiment_name,
    ...(experimentId !== undefined ? { experiment_id: String(experimentId) } : {}),
    display_name: job.display_name,
    ...(environment ? { environment } : {}),
    ...(Object.keys(pip).length ? { pip } : {}),
    ...(data.inputs.length ? { inputs: data.inputs } : {}),
    ...(data.outputs.length ? { outputs: data.outputs } : {}),
  };
  const ranks = rankLayout(spec.distribution, nodes, job.id, number);
  return ranks.map((r) => {
    const attempt_id = randomUUID();
    return { node: r.node, attempt_id, assignment: { ...base, attempt_id, ...(r.info ? { rank: r.info } : {}) } };
  });
}

/** Writes an attempt's ranks as `assigned`, in the caller's transaction (the placement's or the batch submission's). */
export async function insertRanks(jobs: JobsRepo, jobId: string, number: number, prepared: PreparedAssignment[], at: string): Promise<void> {
  for (const a of prepared) {
    await jobs.insertAttempt({
      id: a.attempt_id,
      job_id: jobId,
      number,
      node: a.node,
      state: 'assigned',
      assignment: JSON.stringify(a.assignment),
      assigned_at: at,
      rank: a.assignment.rank?.rank ?? 0,
      world_size: a.assignment.rank?.world_size ?? 1,
    });
  }
}

/** The address other ranks reach a node at: the provider's, or loopback for nodes on the server's machine. */
function addressOf(n: NodeRow): string {
  try {
    const ref = n.provider_ref ? (JSON.parse(n.provider_ref) as { address?: unknown }) : {};
    return typeof ref.address === 'string' ? ref.address : '127.0.0.1';
  } catch {
    return '127.0.0.1';
  }
}

/**
 * Where each process of a job runs. A single node and no distribution: one process, no rank
 * variables. PyTorch and MPI: process_count_per_instance on each node. TensorFlow: workers, then
 * parameter servers, spread over the nodes in turn.
 */
export function rankLayout(d: Distribution | undefined, nodes: NodeRow[], jobId: string, attempt: number): { node: string; info?: RankInfo }[] {
  const hosts = nodes.map(addressOf);
  // One port per attempt, spread so concurrent jobs on the same machine rarely meet.
  let h = 0;
  for (const ch of `${jobId}:${attempt}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const master_port = 20_000 + (h % 20_000);
  if (!d && nodes.length === 1) return [{ node: nodes[0].name }];
  const kind = d?.type ?? 'none';
  if (d?.type === 'tensorflow') {
    const workers = d.worker_count ?? nodes.length;
    const total = workers + d.parameter_server_count;
    return Array.from({ length: total }, (_, rank) => {
      const nodeRank = rank % nodes.length;
      return {
        node: nodes[nodeRank].name,
        info: { rank, world_size: total, local_rank: Math.floor(rank / nodes.length), local_world_size: Math.ceil(total / nodes.length), node_rank: nodeRank, hosts, master_port, distribution: 'tensorflow', parameter_server_count: d.parameter_server_count },
      };
    });
  }
  const ppn = d ? d.process_count_per_instance : 1;
  const out: { node: string; info: RankInfo }[] = [];
  nodes.forEach((n, nodeRank) => {
    for (let local = 0; local < ppn; local++) {
      out.push({ node: n.name, info: { rank: nodeRank * ppn + local, world_size: nodes.length * ppn, local_rank: local, local_world_size: ppn, node_rank: nodeRank, hosts, master_port, distribution: kind, parameter_server_count: 0 } });
    }
  });
  return out;
}
