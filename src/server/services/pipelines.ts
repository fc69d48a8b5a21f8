import { CairnError } from '../../protocol/errors.ts';
import { PRIORITY, type JobInput } from '../../protocol/job-spec.ts';
import type { Job } from '../../protocol/job.ts';
import { isComponentStep, isSweepStep, type CreatePipelineRequest, type StoredPipeline } from '../../protocol/pipeline-spec.ts';
import type { ComponentSpec } from '../../protocol/component.ts';
import { isUniqueViolation, type Store } from '../../store/index.ts';
import type { JobRow } from '../../store/jobs.ts';
import { pipelineOutputsFrom, planPipeline, type ResolvedComponent } from '../../domain/pipelines/plan.ts';
import { stepRequest } from '../../domain/pipelines/steps.ts';
import { pipelineView } from '../../domain/pipelines/view.ts';
import { generateNames } from './names.ts';
import { insertJobRun } from './tracking/job-runs.ts';
import type { JobsService } from './jobs.ts';
import type { ComponentsService } from './components.ts';
import type { SweepsService } from './sweeps.ts';
import type { DatastoresService } from './datastores.ts';
import type { CreateJobRequest } from '../../protocol/job-spec.ts';
import type { CreateSweepRequest } from '../../protocol/sweep-spec.ts';
import { toJob } from './job-view.ts';
import { nameTaken, parentJobRow } from './parent-row.ts';

export interface PipelinesDeps {
  store: Store;
  jobs: JobsService;
  components: ComponentsService;
  sweeps: SweepsService;
  datastores: DatastoresService;
  kickRunner: () => void;
}

/**
 * Submitting pipelines. The whole graph is checked at submit (bindings, types against the
 * components', cycles, each step as a job on its compute), so an accepted pipeline can make all
 * its steps; the pipeline runner makes them as their inputs become ready.
 */
export class PipelinesService {
  private readonly d: PipelinesDeps;
  constructor(d: PipelinesDeps) {
    this.d = d;
  }

  async create(workspace: string, req: CreatePipelineRequest, createdBy: string): Promise<Job> {
    const { store } = this.d;
    const { spec } = req;
    const generated = generateNames();
    const name = spec.name ?? generated.name;
    const duplicate = () => new CairnError('AlreadyExists', nameTaken(name, workspace));
    if (await store.jobs.getByName(workspace, name)) throw duplicate();
    for (const upload of Object.keys(req.step_code ?? {})) {
      if (!Object.hasOwn(spec.jobs, upload)) throw new CairnError('ValidationError', `step_code names '${upload}', which is not a step of the pipeline`);
    }
    const components = new Map<string, ResolvedComponent>();
    for (const [step, s] of Object.entries(spec.jobs)) {
      // A component step's component, or a sweep step's trial when it is a component.
      const [field, ref] = isComponentStep(s) ? ['component', s.component] : isSweepStep(s) && (typeof s.trial === 'string' || 'name' in s.trial) ? ['trial', s.trial] : [null, null];
      if (!field || !ref) continue;
      if (typeof ref === 'string') {
        const c = await this.d.components.resolve(workspace, ref).catch((err: Error) => {
          throw new CairnError((err as CairnError).code ?? 'ValidationError', `jobs.${step}.${field}: ${err.message}`);
        });
        components.set(step, { spec: c, ...(c.snapshot_id ? { snapshot_id: c.snapshot_id } : {}), ref: `${c.name}:${c.version}` });
      } else components.set(step, { spec: ref as ComponentSpec, ...(req.step_code?.[step] ? { snapshot_id: req.step_code[step]!.snapshot_id } : {}), ref: 'inline' });
    }
    const defaultDatastore = spec.settings?.default_datastore?.replace(/^azureml:/, '');
    if (defaultDatastore) {
      await this.d.datastores.show(workspace, defaultDatastore).catch((err: Error) => {
        throw new CairnError('ValidationError', `settings.default_datastore: ${err.message}`);
      });
    }
    const experimentName = spec.experiment_name ?? 'Default';
    const steps = planPipeline(req, components, { pipelineName: name, experimentName });
    const stored: StoredPipeline = { spec: { ...spec, name }, steps, input_uploads: req.input_uploads, continue_on_step_failure: !!spec.settings?.continue_on_step_failure, outputs_from: pipelineOutputsFrom(spec) };
    // Each step checked as the job it will be; an input another step makes stands in as a literal until then.
    const placeholders = new Map(steps.map((s) => [s.name, 'placeholder']));
    for (const step of steps) {
      const check = stepRequest(stored, step, placeholders);
      for (const input of Object.keys(step.from_steps)) check.spec.inputs![input] = { type: 'string', value: 'x' } as JobInput;
      const checked = check.spec.type === 'sweep' ? this.d.sweeps.check(workspace, check as CreateSweepRequest) : this.d.jobs.check(workspace, check as CreateJobRequest);
      await checked.catch((err: Error) => {
        throw new CairnError((err as CairnError).code ?? 'ValidationError', `jobs.${step.name}: ${err.message}`);
      });
    }
    const row = parentJobRow({
      workspace,
      name,
      display_name: spec.display_name ?? generated.display_name,
      experiment_name: experimentName,
      compute: spec.settings?.default_compute?.replace(/^azureml:/, '') ?? spec.compute?.replace(/^azureml:/, '') ?? steps[0]!.request.spec.compute ?? 'local',
      kind: 'pipeline',
      status_reason: `${steps.length} step${steps.length > 1 ? 's' : ''}: ${steps.length} not started`,
      spec: JSON.stringify(stored),
      snapshot_id: null,
      git: req.git ? JSON.stringify(req.git) : null,
      created_by: createdBy,
      priority: PRIORITY.medium,
    });
    try {
      await store.transaction(async (trx) => {
        await store.jobs.with(trx).insert(row, `pipeline of ${steps.length} steps`, row.created_at);
        await insertJobRun(trx, row, req.git ?? null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate();
      throw err;
    }
    this.d.kickRunner();
    return toJob(row as JobRow, { pipeline: await pipelineView(store, row as JobRow) });
  }
}
