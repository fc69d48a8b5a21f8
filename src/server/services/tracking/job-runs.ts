import type { GitFacts } from '../../../protocol/snapshot.ts';
import type { Db } from '../../../store/index.ts';
import { RunsRepo, runStatusOfJob } from '../../../store/runs.ts';
import { ensureExperiment } from './experiments.ts';

interface NewJob {
  id: string;
  name: string;
  workspace: string;
  experiment_name: string;
  display_name: string;
  created_by: string;
  status: string;
  queued_at_ms: number;
  spec: string;
}

/**
 * Every job is an MLflow run of the experiment it names, with the job's id as the run id; the
 * tags are the ones MLflow's own client sets, so MLflow tools read them as usual.
 */
export async function insertJobRun(trx: Db, job: NewJob, git: GitFacts | null, trial?: { parentRunId: string; params: Record<string, string | number | boolean> }): Promise<void> {
  const experimentId = await ensureExperiment(trx, job.workspace, job.experiment_name);
  const tags: Record<string, string> = {
    'mlflow.runName': job.display_name,
    'mlflow.user': job.created_by,
    'mlflow.source.type': 'JOB',
    // The job's name (its run name is the display name): how a run links back to its job.
    'cairn.job.name': job.name,
    'mlflow.source.name': (JSON.parse(job.spec).command as string | undefined)?.slice(0, 500) ?? '',
  };
  if (trial) tags['mlflow.parentRunId'] = trial.parentRunId;
  if (git?.commit) tags['mlflow.source.git.commit'] = git.commit;
  if (git?.branch) tags['mlflow.source.git.branch'] = git.branch;
  if (git?.repository_url) tags['mlflow.source.git.repoURL'] = git.repository_url;
  await new RunsRepo(trx).insertRun(
    {
      run_id: job.id,
      experiment_id: experimentId,
      name: job.display_name,
      user_id: job.created_by,
      status: runStatusOfJob(job.status),
      start_time: job.queued_at_ms,
      end_time: null,
      lifecycle_stage: 'active',
      deleted_time: null,
      job_id: job.id,
      created_by_job: null,
    },
    Object.entries(tags).map(([key, value]) => ({ key, value })),
  );
  if (trial && Object.keys(trial.params).length) {
    await trx.insertInto('run_params').values(Object.entries(trial.params).map(([key, value]) => ({ run_id: job.id, key, value: String(value) }))).execute();
  }
}
