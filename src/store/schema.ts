import type { ColumnType, Generated } from 'kysely';

/** A column the database fills with its default when an insert leaves it out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** Row types of every table; JSON columns hold text so both dialects store them the same way. */
export interface WorkspacesTable {
  name: string;
  created_at: string;
}

export interface ComputesTable {
  workspace: string;
  name: string;
  type: string;
  spec: string;
  provisioning_state: string;
  created_at: string;
  /** JSON array of {code, message}: why the last provisioning step failed. */
  provisioning_errors: string;
  /** Credentials, sealed by the server's secret box (never returned by the API). */
  secrets: string | null;
  /** The pinned SSH host key fingerprint of an attached machine. */
  host_key: string | null;
  /** Power state the user asked for: Running or Stopped (null: the type has none). */
  power_state: string | null;
  /** Work the provisioner owes this compute: start, stop, restart, delete, detach. */
  pending_action: string | null;
  pending_force: number;
  lease_owner: string | null;
  lease_until: number | null;
  updated_at: string | null;
  /** The autoscaler's own lease on a pool compute (apart from the provisioner's). */
  scaler_owner: string | null;
  scaler_until: number | null;
}

export interface SnapshotsTable {
  id: string;
  workspace: string;
  file_count: number;
  total_size: number;
  created_at: string;
}

export interface JobsTable {
  id: string;
  workspace: string;
  name: string;
  display_name: string;
  experiment_name: string;
  compute: string;
  status: string;
  status_reason: string | null;
  spec: string;
  snapshot_id: string | null;
  git: string | null;
  created_at: string;
  created_by: string;
  start_time: string | null;
  end_time: string | null;
  exit_code: number | null;
  attempt: number;
  node: string | null;
  cancel_requested: number;
  lease_owner: string | null;
  lease_until: number | null;
  queued_at_ms: number;
  /** JSON of the ResolvedEnvironment the job runs with (null: made before environments existed). */
  environment: string | null;
  /** JSON of the EnvironmentRecord the node reported for the latest attempt. */
  environment_record: string | null;
  /** queue_settings.priority: 1 low, 2 medium, 3 high; the queue of a compute is ordered by it, then by submission. */
  priority: Defaulted<number>;
  /** resources.instance_count: whole nodes the job takes at once (gang). */
  instance_count: Defaulted<number>;
  /** Attempts a preempted job may still get. */
  max_retries: Defaulted<number>;
  /** Why a Queued job waits, from a fixed set (see WaitCode); the words are in status_reason. */
  wait_code: string | null;
  /** Data inputs and outputs as resolved at submit: JSON of JobData (protocol/data.ts). */
  data: ColumnType<string | null, string | null | undefined, string | null>;
  /** The batch system's id of the latest submission (a Slurm job id), for computes that queue jobs themselves. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** 'command', or 'sweep' for a sweep job (which runs nothing itself; its trials do). */
  kind: Defaulted<string>;
  /** A trial's sweep (its id). */
  parent_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** A trial's index in its sweep: unique per sweep, so no trial is made twice. */
  trial_index: ColumnType<number | null, number | null | undefined, number | null>;
  /** A trial's TrialFacts (protocol/sweep-spec.ts) or a step's StepFacts (protocol/pipeline-spec.ts) as JSON. */
  trial: ColumnType<string | null, string | null | undefined, string | null>;
  /** A pipeline step's reuse key (domain/pipelines/reuse.ts): a later step with the same key may stand on this job's outputs. */
  reuse_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface BatchSubmissionsTable {
  name: string;
  workspace: string;
  compute: string;
  job_id: string;
  attempt: number;
  state: 'recorded' | 'submitted' | 'done';
  external_id: string | null;
  external_state: string | null;
  detail: string | null;
  node_count: number;
  tries: Defaulted<number>;
  cancel_sent: Defaulted<number>;
  recorded_at: string;
  submitted_at: string | null;
  ended_at: string | null;
  last_seen_ms: number | null;
}

export interface EnvironmentsTable {
  workspace: string;
  name: string;
  version: string;
  version_num: number | null;
  /** JSON of the wire EnvironmentSpec (conda file inlined, build folder as a snapshot id). */
  spec: string;
  spec_hash: string;
  archived: number;
  created_at: string;
  created_by: string;
}

/** Registered component versions (Azure ML v2 command components); like environments, only `archived` ever changes. */
export interface ComponentsTable {
  workspace: string;
  name: string;
  version: string;
  version_num: number | null;
  /** JSON of the wire ComponentSpec (a registered environment named by exact version). */
  spec: string;
  spec_hash: string;
  /** The uploaded code folder, or null without `code`. */
  snapshot_id: string | null;
  archived: number;
  created_at: string;
  created_by: string;
}

export interface JobEventsTable {
  id: Generated<number>;
  job_id: string;
  status: string;
  reason: string | null;
  at: string;
  attempt: number | null;
}

/** One try at running a job on one node. The agent reports against the attempt id. */
export interface AttemptsTable {
  id: string;
  job_id: string;
  number: number;
  node: string;
  state: string; // assigned | accepted | running | finalizing | ended
  assignment: string; // JSON of the AttemptAssignment the agent receives
  assigned_at: string;
  ended_at: string | null;
  outcome: string | null;
  exit_code: number | null;
  reason: string | null;
  /** The process of a distributed attempt (one row each); 0 of 1 for a single process. */
  rank: Defaulted<number>;
  world_size: Defaulted<number>;
  /** JSON {reason, preempted?}: the server wants this rank stopped (a rank of its gang failed, its node is taken back). */
  stop: string | null;
}

export interface LogLinesTable {
  seq: Generated<number>;
  job_id: string;
  attempt: number;
  stream: string;
  offset: number;
  ts: string;
  text: string;
  /** The process that printed it, in a distributed attempt. */
  rank: Defaulted<number>;
}

export interface ArtifactsTable {
  job_id: string;
  path: string;
  size: number;
  sha256: string;
}

export interface NodesTable {
  name: string;
  workspace: string;
  compute: string;
  state: string; // starting | ready | unreachable | stopped
  shape: string;
  slots: number;
  agent_version: string | null;
  token_hash: string;
  pid: number | null;
  last_heartbeat_ms: number | null;
  registered_at: string;
  /** The node's name within its compute (`name` is unique across the server). */
  label: string | null;
  size: string | null;
  tier: string | null;
  /** Since when no unfinished attempt has been on it (null: busy, or not known yet). */
  idle_since_ms: number | null;
  /** The node provider that made it (pool nodes), and its handle for the node (JSON). */
  provider: string | null;
  provider_ref: string | null;
  /** How a user reaches it over SSH (JSON {host, port, user}), when the compute allows that. */
  ssh: string | null;
  created_at: string | null;
}

export interface ExperimentsTable {
  id: Generated<number>;
  workspace: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface KeyValueTable {
  key: string;
  value: string;
}

export interface RunsTable {
  run_id: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  deleted_time: number | null;
  /** The job this run is; null for runs created from outside (a notebook). */
  job_id: string | null;
  /** The job whose token created this run (nested runs): that job may write to it. */
  created_by_job: string | null;
}

export interface MetricSeriesTable {
  id: Generated<number>;
  run_id: string;
  key: string;
  count: number;
  small_chunks: number;
  last_step: number;
  last_ts: number;
  /** null stands for NaN, which SQLite cannot store in a REAL column. */
  last_value: number | null;
}

export interface MetricChunksTable {
  series_id: number;
  start_index: number;
  count: number;
  min_step: number;
  max_step: number;
  data: Uint8Array;
  /** The attempt of the job that logged these points (null: not a job's run, or logged before attempts were recorded). */
  attempt: number | null;
}

export interface MetricBatchesTable {
  run_id: string;
  digest: string;
  created_ms: number;
}

/** What the autoscaler and the node lifecycle decided for a compute, and why. */
export interface ComputeEventsTable {
  id: Generated<number>;
  workspace: string;
  compute: string;
  at: string;
  kind: string;
  message: string;
}

export interface DatastoresTable {
  workspace: string;
  name: string;
  type: string;
  /** The spec without credentials (JSON). */
  spec: string;
  /** The credentials, sealed with the server's secret key. */
  secrets: string | null;
  created_at: string;
}

export interface AssetContainersTable {
  workspace: string;
  kind: string; // data | model
  name: string;
  description: string | null;
  tags: string; // JSON object
  created_ms: number;
  updated_ms: number;
  last_version: Defaulted<number>;
  created_by: Defaulted<string>;
}

export interface AssetsTable {
  workspace: string;
  kind: string; // data | model
  name: string;
  version: string;
  version_num: number | null;
  type: string;
  snapshot_id: string;
  file: string | null;
  file_count: number;
  total_size: number;
  path: string;
  content_key: string;
  description: string | null;
  tags: string; // JSON object
  properties: string | null; // JSON object
  stage: string | null;
  archived: Defaulted<number>;
  job_id: string | null;
  run_id: string | null;
  created_at: string;
  created_ms: number;
  updated_ms: number;
  created_by: string;
}

export interface ModelAliasesTable {
  workspace: string;
  name: string;
  alias: string;
  version: string;
}

export interface JobInputsTable {
  job_id: string;
  name: string;
  type: string;
  mode: string;
  uri: string;
  snapshot_id: string | null;
  asset_kind: string | null;
  asset_name: string | null;
  asset_version: string | null;
}

export interface DatastoreStampsTable {
  key: string;
  sha256: string;
}

export interface RunInputsTable {
  run_id: string;
  name: string;
  digest: string;
  context: string;
  body: string;
  /** When it was logged (0: before 0007_registry): runs/get lists inputs in logging order. */
  created_ms: Defaulted<number>;
}

export interface LoggedModelsTable {
  model_id: string;
  workspace: string;
  experiment_id: string;
  name: string;
  source_run_id: string | null;
  status: string;
  model_type: string | null;
  lifecycle_stage: string;
  creation_ms: number;
  updated_ms: number;
  params: string;
  tags: string;
  metrics: string;
  /** The job whose token made it (null: a user's): a job writes only the logged models it made. */
  created_by_job: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A run's link to an MLflow 3 logged model: an output it produced (runs/outputs) or an input it read. */
export interface RunModelLinksTable {
  run_id: string;
  direction: string; // input | output
  model_id: string;
  step: number;
}

export interface Database {
  workspaces: WorkspacesTable;
  computes: ComputesTable;
  snapshots: SnapshotsTable;
  jobs: JobsTable;
  environments: EnvironmentsTable;
  components: ComponentsTable;
  job_events: JobEventsTable;
  attempts: AttemptsTable;
  log_lines: LogLinesTable;
  artifacts: ArtifactsTable;
  nodes: NodesTable;
  experiments: ExperimentsTable;
  experiment_tags: KeyValueTable & { experiment_id: number };
  runs: RunsTable;
  run_params: KeyValueTable & { run_id: string };
  run_tags: KeyValueTable & { run_id: string };
  metric_series: MetricSeriesTable;
  metric_chunks: MetricChunksTable;
  metric_batches: MetricBatchesTable;
  compute_events: ComputeEventsTable;
  datastores: DatastoresTable;
  asset_containers: AssetContainersTable;
  assets: AssetsTable;
  model_aliases: ModelAliasesTable;
  job_inputs: JobInputsTable;
  datastore_stamps: DatastoreStampsTable;
  run_inputs: RunInputsTable;
  logged_models: LoggedModelsTable;
  run_model_links: RunModelLinksTable;
  batch_submissions: BatchSubmissionsTable;
}
