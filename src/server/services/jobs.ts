import { randomUUID } from 'node:crypto';
import { CairnError } from '../../protocol/errors.ts';
import { type CreateJobRequest, experimentNameFrom, MAX_COMMAND_BYTES, PRIORITY } from '../../protocol/job-spec.ts';
import type { SizeCatalog } from '../../protocol/compute-sizes.ts';
import { poolOf } from '../../domain/pools.ts';
import { parseComputeSpec } from '../../protocol/compute.ts';
import { isTerminal, isWaiting, WAITING_STATUSES, type Job, type ListJobsQuery } from '../../protocol/job.ts';
import { isUniqueViolation, type Store } from '../../store/index.ts';
import type { JobFilter, JobKey, JobRow } from '../../store/jobs.ts';
import type { EventHub } from '../../domain/events.ts';
import { generateNames } from './names.ts';
import { interpolateCommand } from '../../domain/interpolate.ts';
import { toJob } from './job-view.ts';
import { nameTaken } from './parent-row.ts';
import { moveJob } from '../../domain/transitions.ts';
import { hasProvisioning, type ComputeBackend } from '../../compute/types.ts';
import { NOT_YET } from '../../compute/registry.ts';
import { insertJobRun } from './tracking/job-runs.ts';
import type { EnvironmentsService } from './environments.ts';
import type { JobDataResolver } from './job-data.ts';
import { JobData } from '../../protocol/data.ts';
import { needsContainerEngine, type ResolvedEnvironment } from '../../protocol/environment.ts';
import { hasContainerEngine } from '../../protocol/agent.ts';
import type { TrialFacts } from '../../protocol/sweep-spec.ts';
import { sweepView } from '../../domain/sweep/view.ts';
import { pipelineView, stepFacts } from '../../domain/pipelines/view.ts';
import { reuseKeyOf } from '../../domain/pipelines/reuse.ts';
import type { StepOf } from '../../domain/pipelines/steps.ts';

export const stripAzurePrefix = (s: string) => s.replace(/^azureml:/, '');

export interface JobsDeps {
  store: Store;
  events: EventHub;
  backends: Map<string, ComputeBackend>;
  environments: EnvironmentsService;
  sizes: SizeCatalog;
  data: JobDataResolver;
  kickScheduler: () => void;
  /** A sweep was asked to end or a trial changed: the sweeper looks at once. */
  kickSweeper?: () => void;
  kickPipelines?: () => void;
}

/** What makes a job a sweep's trial: the sweep's id and the trial's facts, stored with the job. */
export interface TrialOf {
  parentId: string;
  facts: TrialFacts;
}

/** A sweep's trial or a pipeline's step (StepOf: its index, facts and whether it may be reused). */
export type ChildOf = TrialOf | StepOf;
const isStep = (c: ChildOf): c is StepOf => 'reusable' in c;

/** Submitting, reading and cancelling jobs. */
export class JobsService {
  private readonly d: JobsDeps;
  constructor(deps: JobsDeps) {
    this.d = deps;
  }

  /**
   * Every check `create` makes, without making anything: a sweep checks its first trial so, before
   * it exists. A trial cannot be serverless (each would get a cluster of its own).
   */
  async check(workspace: string, req: CreateJobRequest): Promise<void> {
    if (!req.spec.compute && req.spec.resources?.instance_type) throw new CairnError('Unsupported', 'a sweep needs a compute: serverless sweeps (trial.resources.instance_type with no compute) are not supported yet');
    await this.submit(workspace, req, { ...req.spec }, req.spec.name ?? 'check', 'check', stripAzurePrefix(req.spec.compute ?? 'local'), 'check', { dryRun: true });
  }

  async create(workspace: string, req: CreateJobRequest, createdBy: string, trial?: ChildOf): Promise<Job> {
    const { store } = this.d;
    const spec = { ...req.spec };
    const generated = generateNames();
    const name = spec.name ?? generated.name;
    if (await store.jobs.getByName(workspace, name)) throw duplicate(name, workspace);
    if (trial) return this.submit(workspace, req, spec, name, generated.display_name, stripAzurePrefix(spec.compute ?? 'local'), createdBy, { trial });
    // Serverless (Azure's run-based compute): no compute, a size: a cluster of the job's own.
    const serverless = !spec.compute && spec.resources?.instance_type ? await this.serverlessCompute(workspace, name, spec.resources.instance_type, spec.resources.instance_count) : null;
    try {
      return await this.submit(workspace, req, spec, name, generated.display_name, serverless ?? stripAzurePrefix(spec.compute ?? 'local'), createdBy);
    } catch (err) {
      // Nothing half-made: a serverless cluster made for a job that was refused goes again.
      if (serverless) {
        await store.db.deleteFrom('compute_events').where('workspace', '=', workspace).where('compute', '=', serverless).execute();
        await store.computes.remove(workspace, serverless);
      }
      throw err;
    }
  }

  private async submit(workspace: string, req: CreateJobRequest, spec: CreateJobRequest['spec'], name: string, displayName: string, computeName: string, createdBy: string, opts: { trial?: ChildOf; dryRun?: boolean } = {}): Promise<Job> {
    const { store } = this.d;
    const compute = await store.computes.get(workspace, computeName);
    if (!compute) {
      const names = (await store.computes.list(workspace)).map((c) => c.name);
      throw new CairnError('UnknownCompute', `compute '${computeName}' does not exist in workspace '${workspace}'; computes: ${names.join(', ') || 'none'}`);
    }
    if (compute.provisioning_state === 'Deleting') throw new CairnError('UnknownCompute', `compute '${computeName}' is being deleted`);
    if (compute.provisioning_state === 'Failed') {
      const why = (JSON.parse(compute.provisioning_errors || '[]') as { message: string }[])[0]?.message;
      throw new CairnError('UnknownCompute', `compute '${computeName}' failed to provision${why ? `: ${why}` : ''}; fix it with \`cairn compute update\` or delete it`);
    }
    const backend = this.d.backends.get(compute.type);
    if (!backend) throw new CairnError('UnknownCompute', `compute '${computeName}' is of type ${compute.type}: ${NOT_YET[compute.type] ?? 'no backend runs it'}`);
    const data = await this.d.data.resolve(workspace, spec, req.input_uploads, name);
    const command = interpolateCommand(spec, data.inputs);
    if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
      throw new CairnError('ValidationError', `command: with its inputs filled in it is ${Buffer.byteLength(command)} bytes, over the limit of ${MAX_COMMAND_BYTES}`);
    }
    const instanceCount = spec.resources?.instance_count ?? 1;
    const refused = backend.refuseJob?.(compute, { command, instanceCount, timeoutS: spec.limits?.timeout ?? null });
    if (refused) throw new CairnError('ValidationError', `compute '${computeName}' cannot run this job: ${refused}`);
    const environment = await this.d.environments.resolve(workspace, spec.environment, spec.python_path);
    await this.checkRunnable(workspace, computeName, environment);
    if (req.snapshot_id && !(await store.resources.getSnapshot(req.snapshot_id))) {
      throw new CairnError('NotFound', `snapshot ${req.snapshot_id} does not exist; upload the code first`);
    }
    if (opts.dryRun) return undefined as never;
    const { trial } = opts;
    const now = new Date();
    const id = randomUUID();
    // A pipeline's step whose job would be the same as an earlier completed one is not run again: that job's outputs stand for it.
    const step = trial && isStep(trial) ? trial : null;
    const reuseKey = step ? reuseKeyOf({ command, snapshot_id: req.snapshot_id ?? null, environment, data, spec }) : null;
    const earlier = step?.reusable && reuseKey ? await store.jobs.reusable(workspace, reuseKey) : undefined;
    const producer = earlier ? (stepFacts(earlier)?.reused_from ?? earlier.name) : null;
    const facts = step ? { ...step.facts, ...(producer ? { reused_from: producer } : {}) } : trial?.facts;
    const row = {
      id,
      workspace,
      name,
      display_name: spec.display_name ?? displayName,
      experiment_name: spec.experiment_name ?? (req.code_folder_name && experimentNameFrom(req.code_folder_name)) ?? 'Default',
      compute: computeName,
      status: producer ? 'Completed' : 'Queued',
      status_reason: producer
        ? `reused from ${producer}: an earlier job ran the same command, code, environment and inputs`
        : needsContainerEngine(environment.kind)
        ? `waiting for a free slot on a node of compute '${computeName}' with docker or podman`
        : poolOf(compute, this.d.sizes)
          ? `waiting for a free node of compute '${computeName}'`
          : `waiting for a free slot on compute '${computeName}'`,
      spec: JSON.stringify({ ...spec, name, compute: computeName }),
      snapshot_id: req.snapshot_id ?? null,
      git: req.git ? JSON.stringify(req.git) : null,
      created_at: now.toISOString(),
      created_by: createdBy,
      start_time: null,
      end_time: null,
      exit_code: null,
      attempt: 0,
      node: null,
      cancel_requested: 0,
      lease_owner: null,
      lease_until: null,
      queued_at_ms: now.getTime(),
      environment: JSON.stringify(environment),
      environment_record: null,
      priority: PRIORITY[spec.queue_settings?.priority ?? 'medium'],
      instance_count: instanceCount,
      max_retries: spec.max_retries ?? 3,
      wait_code: 'capacity',
      data: data.inputs.length || data.outputs.length ? JSON.stringify(data) : null,
      parent_id: trial?.parentId ?? null,
      trial_index: step ? step.index : trial ? (trial as TrialOf).facts.index : null,
      trial: facts ? JSON.stringify(facts) : null,
      reuse_key: reuseKey,
      ...(producer ? { start_time: now.toISOString(), end_time: now.toISOString(), exit_code: 0, wait_code: null } : {}),
    };
    try {
      await store.transaction(async (trx) => {
        const why = step ? `step ${step.facts.step} of pipeline ${step.facts.pipeline}` : trial ? `trial ${(trial as TrialOf).facts.index} of sweep ${(trial as TrialOf).facts.sweep}` : 'submitted';
        await store.jobs.with(trx).insert(row, producer ? `${why}; ${row.status_reason}` : why, row.created_at);
        // A trial's or step's run is a child of its parent's (as MLflow's nested runs); a trial's values are its params.
        await insertJobRun(trx, row, req.git ?? null, trial ? { parentRunId: trial.parentId, params: step ? {} : (trial as TrialOf).facts.params } : undefined);
        await store.assets.with(trx).putJobInputs(
          data.inputs.map((i) => ({ job_id: id, name: i.name, type: i.type, mode: i.mode, uri: i.uri, snapshot_id: i.snapshot_id ?? null, asset_kind: i.asset?.kind ?? null, asset_name: i.asset?.name ?? null, asset_version: i.asset?.version ?? null })),
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(name, workspace);
      throw err;
    }
    if (!producer) this.d.kickScheduler();
    return toJob(row as JobRow);
  }

  /**
   * A cluster for one serverless job: of its instance_type, from the default provider, scaling from
   * 0 to the job's node count; the autoscaler deletes it when the job has ended.
   */
  private async serverlessCompute(workspace: string, job: string, instanceType: string, nodes: number): Promise<string> {
    const size = this.d.sizes.find(instanceType);
    if (!size) throw new CairnError('ValidationError', `resources.instance_type: size '${instanceType}' does not exist; \`cairn compute list-sizes\` lists the sizes`);
    const name = `serverless-${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const spec = { name, type: 'amlcompute', size: size.name, tier: 'dedicated', min_instances: 0, max_instances: nodes, idle_time_before_scale_down: 0, provider: 'local', tags: { 'cairn.serverless_job': job }, description: `serverless compute of job ${job}` };
    const backend = this.d.backends.get('amlcompute');
    if (backend && hasProvisioning(backend)) await backend.preflight(parseComputeSpec(spec, this.d.sizes), {}, null);
    const now = new Date().toISOString();
    await this.d.store.computes.insert({ workspace, name, type: 'amlcompute', spec: JSON.stringify(parseComputeSpec(spec, this.d.sizes)), provisioning_state: 'Succeeded', created_at: now, updated_at: now, power_state: 'Running' });
    await this.d.store.computes.addEvent(workspace, name, 'created', `created for serverless job ${job} (${size.name}, up to ${nodes} node${nodes > 1 ? 's' : ''}); deleted when the job ends`);
    return name;
  }

  /**
   * An image job needs a node with a container engine. When every node the compute has is known
   * and none has one, the job could wait forever: refuse it now, saying so.
   */
  private async checkRunnable(workspace: string, compute: string, env: ResolvedEnvironment): Promise<void> {
    if (!needsContainerEngine(env.kind)) return;
    const nodes = await this.d.store.nodes.forCompute(workspace, compute);
    // A node whose agent never registered has not said what it has: cannot tell yet.
    if (nodes.length === 0 || nodes.some((n) => n.agent_version === null) || nodes.some((n) => hasContainerEngine(n.shape))) return;
    throw new CairnError(
      'Unsupported',
      `no node of compute '${compute}' can run this job: its environment is a container image (${env.image ?? 'built from a Dockerfile'}) and none of its nodes (${nodes.map((n) => n.name).join(', ')}) has docker or podman; install one there, or use a conda_file environment`,
    );
  }

  async row(workspace: string, name: string): Promise<JobRow> {
    const row = await this.d.store.jobs.getByName(workspace, name);
    if (!row) throw new CairnError('NotFound', `job '${name}' does not exist in workspace '${workspace}'`);
    return row;
  }

  async get(workspace: string, name: string): Promise<Job> {
    const row = await this.row(workspace, name);
    const [history, artifacts, attempts] = await Promise.all([this.d.store.jobs.events(row.id), this.d.store.resources.artifacts(row.id), this.d.store.jobs.attemptsOf(row.id)]);
    // A job waiting its turn says how many wait ahead of it (counted now, not stored: it changes with every placement).
    const ahead = isWaiting(row.status) && row.wait_code && ['capacity', 'max_instances', 'reserved'].includes(row.wait_code) ? await this.d.store.jobs.ahead(row) : 0;
    const data = await this.dataView(row, artifacts);
    if (row.kind === 'sweep') return toJob(row, { history: history.map((h) => ({ ...h, status: h.status as Job['status'] })), sweep: await sweepView(this.d.store, row) });
    if (row.kind === 'pipeline') return toJob(row, { history: history.map((h) => ({ ...h, status: h.status as Job['status'] })), pipeline: await pipelineView(this.d.store, row) });
    return toJob(row, {
      ...data,
      ...(ahead ? { status_reason: `${row.status_reason} (${ahead} job${ahead > 1 ? 's' : ''} ahead)` } : {}),
      history: history.map((h) => ({ ...h, status: h.status as Job['status'] })),
      outputs_collected: artifacts.map((a) => ({ path: a.path, size: Number(a.size) })),
      attempts: attempts.map((a) => ({ number: a.number, rank: a.rank, node: a.node, state: a.state, outcome: a.outcome, exit_code: a.exit_code, reason: a.reason, assigned_at: a.assigned_at, ended_at: a.ended_at })),
    });
  }

  /** The job's data inputs (with the versions they read) and its named outputs (with what they hold and the asset each became). */
  private async dataView(row: JobRow, artifacts: { path: string; size: number | bigint }[]): Promise<Pick<Job, 'data_inputs' | 'named_outputs'>> {
    const inputs = await this.d.store.assets.jobInputs(row.id);
    const snaps = await Promise.all(inputs.map((i) => (i.snapshot_id ? this.d.store.resources.getSnapshot(i.snapshot_id) : undefined)));
    const spec = JSON.parse(row.spec) as { outputs?: Record<string, unknown> };
    const data = row.data ? JobData.parse(JSON.parse(row.data)) : { inputs: [], outputs: [] };
    const produced = await this.d.store.assets.producedBy(row.id);
    const outputs = Object.keys(spec.outputs ?? {}).map((name) => {
      const o = data.outputs.find((x) => x.name === name);
      const files = artifacts.filter((a) => a.path === `outputs/${name}` || a.path.startsWith(`outputs/${name}/`));
      const asset = produced.find((p) => p.path === `azureml://jobs/${row.name}/outputs/${name}`);
      return {
        name,
        type: o?.type ?? 'uri_folder',
        mode: o?.mode ?? 'rw_mount',
        uri: `azureml://jobs/${row.name}/outputs/${name}`,
        files: files.length,
        size: files.reduce((n, f) => n + Number(f.size), 0),
        ...(o?.path ? { path: o.path } : {}),
        ...(asset ? { asset: `azureml:${asset.name}:${asset.version}` } : {}),
      };
    });
    return {
      ...(inputs.length
        ? {
            data_inputs: inputs.map((i, n) => ({
              name: i.name,
              type: i.type,
              mode: i.mode,
              uri: i.uri,
              ...(i.asset_name ? { asset: `azureml:${i.asset_name}:${i.asset_version}` } : {}),
              ...(snaps[n] ? { files: snaps[n]!.file_count, size: Number(snaps[n]!.total_size) } : {}),
            })),
          }
        : {}),
      ...(outputs.length ? { named_outputs: outputs } : {}),
    };
  }

  /**
   * A page of jobs, newest first, with the cursors of the pages after and before it (null at either
   * end) and, asked, how many match in all and how many come before this page.
   */
  async list(workspace: string, q: ListJobsQuery): Promise<{ jobs: Job[]; next: string | null; prev: string | null; total?: number; offset?: number }> {
    const parent = q.parent ? await this.d.store.jobs.getByName(workspace, q.parent) : undefined;
    if (q.parent && parent?.kind !== 'sweep' && parent?.kind !== 'pipeline') throw new CairnError(parent ? 'ValidationError' : 'NotFound', parent ? `job '${q.parent}' is a command job, not a sweep or a pipeline: it has no child jobs` : `job '${q.parent}' does not exist in workspace '${workspace}'`);
    const filter: JobFilter = {
      workspace,
      ...(parent ? { parent_id: parent.id } : {}),
      statuses: q.status?.split(',').map((x) => x.trim()).filter(Boolean),
      experiment_name: q.experiment_name,
      compute: q.compute,
      search: q.search?.trim() || undefined,
      tags: q.tags?.split(',').map((t) => t.trim()).filter(Boolean).map((t) => (t.includes('=') ? [t.slice(0, t.indexOf('=')).trim(), t.slice(t.indexOf('=') + 1).trim()] : [t, null])),
    };
    const limit = q.max_results ?? (q.all ? null : 50);
    const after = q.after ? keyOf(q.after) : undefined;
    const before = q.before ? keyOf(q.before) : undefined;
    // One row more than the page says whether there is another page that way.
    const rows = await this.d.store.jobs.list({ ...filter, after, before, limit: limit === null ? null : limit + 1 });
    const more = limit !== null && rows.length > limit;
    const page = !more ? rows : before ? rows.slice(rows.length - limit!) : rows.slice(0, limit!);
    const cursor = (r: JobRow | undefined) => (r ? `${r.queued_at_ms}.${r.id}` : null);
    // Coming from one side, a page on that side exists (the one we came from).
    const next = (before ? true : more) ? cursor(page.at(-1)) : null;
    const prev = (before ? more : !!after) ? cursor(page[0]) : null;
    const counts = q.count ? { total: await this.d.store.jobs.count(filter), offset: page[0] ? await this.d.store.jobs.count(filter, page[0]) : 0 } : {};
    return { jobs: page.map((r) => toJob(r)), next, prev, ...counts };
  }

  async cancel(workspace: string, name: string, reason = 'canceled by the user'): Promise<Job> {
    const attempts = (await this.d.store.jobs.attemptsOf((await this.row(workspace, name)).id)).filter((a) => a.state !== 'ended');
    const { store } = this.d;
    const row = await this.row(workspace, name);
    if (isTerminal(row.status)) throw new CairnError('JobAlreadyFinished', `job '${name}' already ended (${row.status}); there is nothing to cancel`);
    if (row.kind === 'sweep' || row.kind === 'pipeline') {
      // Its reconciler cancels its child jobs and ends it once they have ended.
      const what = row.kind === 'sweep' ? 'trials' : 'steps';
      await moveJob(store.db, this.d.events, row.id, 'CancelRequested', reason === 'canceled by the user' ? `cancel requested by the user: cancelling its ${what}` : reason, { set: { cancel_requested: 1 } });
      this.d.kickSweeper?.();
      this.d.kickPipelines?.();
      return toJob(await this.row(workspace, name));
    }
    // A job no node has taken yet ends here; one that runs is stopped by its agent, which reports back.
    const endedQueued = await moveJob(store.db, this.d.events, row.id, 'Canceled', `${reason} before it started`, {
      from: [...WAITING_STATUSES],
      set: { cancel_requested: 1 },
    });
    if (!endedQueued) {
      await moveJob(store.db, this.d.events, row.id, 'CancelRequested', reason === 'canceled by the user' ? 'cancel requested by the user' : reason, { set: { cancel_requested: 1 } });
      for (const a of attempts) this.d.events.wake(a.node);
    }
    return toJob(await this.row(workspace, name));
  }
}

/** A page cursor (checked by the protocol's schema) taken apart. */
function keyOf(cursor: string): JobKey {
  const dot = cursor.indexOf('.');
  return { queued_at_ms: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}

const duplicate = (name: string, ws: string) => new CairnError('AlreadyExists', nameTaken(name, ws));
