import { z } from 'zod';
import { LogStream } from './job.ts';
import { Sha256 } from './snapshot.ts';
import { EnvironmentRecord, PipOptions, ResolvedEnvironment } from './environment.ts';
import { ResolvedInput, ResolvedOutput } from './data.ts';

/** Wire messages between the server and an agent. The agent imports only this module tree. */

export const NodeShape = z.object({
  cpus: z.number().int().positive(),
  memory_mb: z.number().int().nonnegative(),
  gpus: z.number().int().nonnegative().default(0),
  gpu_names: z.array(z.string()).optional(),
  os: z.string().optional(),
  arch: z.string().optional(),
  python: z.string().optional(),
  /** Container engines that answer on the node (podman, docker); image environments need one. */
  container_engines: z.array(z.enum(['podman', 'docker'])).optional(),
  /** conda, mamba or micromamba on the node: conda files are built with it instead of venv + pip. */
  conda: z.string().optional(),
  /** How the node keeps jobs from what is not theirs: `root` (an unprivileged job user and namespaces), `user` (namespaces), `none`. */
  isolation: z.object({ mode: z.enum(['root', 'user', 'none']), note: z.string() }).optional(),
});
export type NodeShape = z.infer<typeof NodeShape>;

/** Whether a node's stored shape (JSON) says it has docker or podman: image environments need one. */
export function hasContainerEngine(shapeJson: string): boolean {
  const s = NodeShape.safeParse(JSON.parse(shapeJson || '{}'));
  return s.success && (s.data.container_engines?.length ?? 0) > 0;
}

export const RegisterRequest = z.object({
  node: z.string().min(1),
  agent_version: z.string(),
  shape: NodeShape,
  pid: z.number().int().optional(),
  /** Attempts the agent has on disk and is watching (or can account for). */
  known_attempts: z.array(z.string()).default([]),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({
  node: z.string(),
  heartbeat_interval_ms: z.number().int().positive(),
  cancel_grace_ms: z.number().int().nonnegative(),
  /** Attempts the server still expects on this node: unknown ones must be reported lost. */
  expected_attempts: z.array(z.string()),
  /** Attempts the agent knows that the server has ended meanwhile (a cancel it could not deliver): the agent stops them. */
  ended_attempts: z.array(z.string()).default([]),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/**
 * Where a process stands in a distributed attempt: its ranks, the nodes of the gang (rank 0's node
 * first) and the distribution it runs under. The agent turns it into the variables PyTorch, Open MPI
 * or TensorFlow expect.
 */
export const RankInfo = z.object({
  rank: z.number().int().nonnegative(),
  world_size: z.number().int().positive(),
  local_rank: z.number().int().nonnegative(),
  local_world_size: z.number().int().positive(),
  node_rank: z.number().int().nonnegative(),
  /** The gang's nodes' addresses, node rank order. */
  hosts: z.array(z.string()).min(1),
  master_port: z.number().int().min(1024).max(65535),
  distribution: z.enum(['pytorch', 'mpi', 'tensorflow', 'none']),
  parameter_server_count: z.number().int().nonnegative().default(0),
});
export type RankInfo = z.infer<typeof RankInfo>;

/** Everything an agent needs to run one attempt; no second round-trip to the job. */
export const AttemptAssignment = z.object({
  attempt_id: z.string(),
  job_id: z.string(),
  job_name: z.string(),
  attempt: z.number().int().positive(),
  command: z.string(),
  environment_variables: z.record(z.string(), z.string()),
  snapshot_id: Sha256.nullable(),
  timeout_s: z.number().int().positive().nullable(),
  job_token: z.string(),
  experiment_name: z.string(),
  /** The MLflow experiment of the job's run (absent in assignments made before tracking existed). */
  experiment_id: z.string().optional(),
  display_name: z.string(),
  /** How to prepare the interpreter (absent in assignments made before environments existed: user-managed). */
  environment: ResolvedEnvironment.optional(),
  /** pip settings of the job's compute (or the server's). */
  pip: PipOptions.optional(),
  /** One process of a distributed attempt: who it is and how it finds the others (absent: a single process). */
  rank: RankInfo.optional(),
  /**
   * Data and model inputs, laid out under $CAIRN_INPUTS_DIR/<name> before the command starts (the
   * command refers to them as "${CAIRN_INPUTS_DIR}/<name>", or to the file in it for uri_file).
   */
  inputs: z.array(ResolvedInput).max(500).optional(),
  /** Named outputs: $CAIRN_OUTPUTS_DIR/<name> is made before the command starts (for uri_file, its folder). */
  outputs: z.array(ResolvedOutput).max(100).optional(),
});
export type AttemptAssignment = z.infer<typeof AttemptAssignment>;

export const WorkResponse = z.object({
  assignments: z.array(AttemptAssignment),
  /** `preempted`: the node is being taken back; the attempt ends as preempted (its job is requeued), not canceled. */
  cancels: z.array(z.object({ attempt_id: z.string(), reason: z.string(), preempted: z.boolean().optional() })),
});
export type WorkResponse = z.infer<typeof WorkResponse>;

export const AgentLogLine = z.object({
  stream: LogStream,
  offset: z.number().int().nonnegative(),
  ts: z.string(),
  text: z.string().max(1_000_000),
});
export type AgentLogLine = z.infer<typeof AgentLogLine>;

export const LogBatch = z.object({ lines: z.array(AgentLogLine).max(10_000) });
export type LogBatch = z.infer<typeof LogBatch>;

/** What happened to an attempt, as the agent saw it. */
export const AttemptOutcome = z.enum(['succeeded', 'failed', 'canceled', 'timed_out', 'lost', 'spawn_failed', 'preempted']);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

export const AttemptReport = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('preparing'), at: z.string(), detail: z.string().optional() }),
  z.object({ phase: z.literal('running'), at: z.string(), pid: z.number().int().optional() }),
  /** What the node prepared the job's environment with (sent once it knows, which may be after running). */
  z.object({ phase: z.literal('environment'), at: z.string(), environment: EnvironmentRecord }),
  z.object({ phase: z.literal('finalizing'), at: z.string() }),
  z.object({
    phase: z.literal('ended'),
    at: z.string(),
    outcome: AttemptOutcome,
    exit_code: z.number().int().nullable(),
    reason: z.string(),
  }),
]);
export type AttemptReport = z.infer<typeof AttemptReport>;

export const AttemptReportResponse = z.object({
  /** False when the server no longer wants this attempt (it was canceled or reassigned). */
  keep_running: z.boolean(),
});

export const OutputsReport = z.object({
  artifacts: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: Sha256 })).max(100_000),
});
export type OutputsReport = z.infer<typeof OutputsReport>;

/** Blobs a node fetches in one answer, back to back in this order (it knows each size from its manifest). */
export const BlobBatchRequest = z.strictObject({ sha256: z.array(Sha256).min(1).max(1000) });
export type BlobBatchRequest = z.infer<typeof BlobBatchRequest>;

/**
 * What a node that cannot see Cairn's folder on a shared file system fetches for itself: the Node
 * runtime, the agent, and the `cairn` Python module as a tar (each answer carries its sha256).
 */
export const RuntimePart = z.enum(['node', 'agent', 'python.tar'], { error: "expected one of 'node', 'agent', 'python.tar'" });
export type RuntimePart = z.infer<typeof RuntimePart>;
