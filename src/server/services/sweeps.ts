import { randomInt } from 'node:crypto';
import { CairnError } from '../../protocol/errors.ts';
import { experimentNameFrom, PRIORITY } from '../../protocol/job-spec.ts';
import type { Job } from '../../protocol/job.ts';
import type { CreateSweepRequest, StoredSweep } from '../../protocol/sweep-spec.ts';
import { checkSamplingCombination, normalizeSampling } from '../../protocol/sweep-space.ts';
import { isUniqueViolation, type Store } from '../../store/index.ts';
import type { JobRow } from '../../store/jobs.ts';
import { makeSampler } from '../../domain/sweep/samplers.ts';
import { checkSweep, trialRequest } from '../../domain/sweep/trials.ts';
import { generateNames } from './names.ts';
import { insertJobRun } from './tracking/job-runs.ts';
import { stripAzurePrefix, type JobsService } from './jobs.ts';
import { toJob } from './job-view.ts';
import { nameTaken, parentJobRow } from './parent-row.ts';
import type { StepOf } from '../../domain/pipelines/steps.ts';
import { sweepView } from '../../domain/sweep/view.ts';

export interface SweepsDeps {
  store: Store;
  jobs: JobsService;
  kickSweeper: () => void;
}

/**
 * Submitting sweeps. Everything a trial needs is checked at submit (the first trial is checked as
 * a job would be, without being made), so a sweep that is accepted can make its trials; the
 * sweeper makes them.
 */
export class SweepsService {
  private readonly d: SweepsDeps;
  constructor(d: SweepsDeps) {
    this.d = d;
  }

  /** Every check `create` makes, without making anything (a pipeline checks its sweep steps so). */
  async check(workspace: string, req: CreateSweepRequest): Promise<void> {
    await this.prepare(workspace, req, 'check');
  }

  /** A sweep; `child`: it is a pipeline's step (its parent, place and facts are kept with it). */
  async create(workspace: string, req: CreateSweepRequest, createdBy: string, child?: StepOf): Promise<Job> {
    const { store } = this.d;
    const { row, budget, duplicate } = await this.prepare(workspace, req, createdBy, child);
    try {
      await store.transaction(async (trx) => {
        const why = `sweep of ${budget.total} trials, ${budget.concurrent} at a time${child ? `; step ${child.facts.step} of pipeline ${child.facts.pipeline}` : ''}`;
        await store.jobs.with(trx).insert(row, why, row.created_at);
        await insertJobRun(trx, row, req.git ?? null, child ? { parentRunId: child.parentId, params: {} } : undefined);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate();
      throw err;
    }
    this.d.kickSweeper();
    // The answer carries the sweep's view, so the client can say its warnings.
    return toJob(row as JobRow, { sweep: await sweepView(store, row as JobRow) });
  }

  private async prepare(workspace: string, req: CreateSweepRequest, createdBy: string, child?: StepOf) {
    const { store } = this.d;
    const { spec } = req;
    const generated = generateNames();
    const name = spec.name ?? generated.name;
    const duplicate = () => new CairnError('AlreadyExists', nameTaken(name, workspace));
    if (await store.jobs.getByName(workspace, name)) throw duplicate();
    const algorithm = normalizeSampling(spec.sampling_algorithm);
    const refused = checkSamplingCombination(spec.search_space, algorithm, !!spec.early_termination);
    if (refused) throw new CairnError('ValidationError', refused);
    // The seed is fixed at submit and kept: the sweep draws the same values after a restart.
    const seed = ('seed' in algorithm ? algorithm.seed : undefined) ?? randomInt(0, 2 ** 31 - 1);
    const sampler = makeSampler(spec.search_space, algorithm, seed);
    const { budget, warnings } = checkSweep(spec, sampler.capacity);
    const compute = stripAzurePrefix(spec.compute ?? 'local');
    const stored: StoredSweep = { ...req, spec: { ...spec, name, compute }, seed, total: budget.total, concurrent: budget.concurrent, warnings };
    const row = parentJobRow({
      workspace,
      name,
      display_name: spec.display_name ?? generated.display_name,
      experiment_name: spec.experiment_name ?? (req.code_folder_name && experimentNameFrom(req.code_folder_name)) ?? 'Default',
      compute,
      kind: 'sweep',
      status_reason: `0 of ${budget.total} trials`,
      spec: JSON.stringify(stored),
      snapshot_id: req.snapshot_id ?? null,
      git: req.git ? JSON.stringify(req.git) : null,
      created_by: createdBy,
      priority: PRIORITY[spec.queue_settings?.priority ?? 'medium'],
      ...(child ? { child } : {}),
    });
    // The first trial as it will be made, checked as a job: its compute, environment, inputs and command.
    await this.d.jobs.check(workspace, trialRequest(stored, row, 0, sampler.sample(0, [], spec.objective.goal)));
    return { row, budget, duplicate };
  }
}
