import { isWaiting, type Job } from '../../protocol/job.ts';
import type { JobRow } from '../../store/jobs.ts';
import { storedSweep, trialStatusReason } from '../../domain/sweep/view.ts';
import { storedPipeline } from '../../domain/pipelines/view.ts';
import { StepFacts, type PipelineView } from '../../protocol/pipeline-spec.ts';
import { TrialFacts } from '../../protocol/sweep-spec.ts';

/** A child job's facts: a sweep's trial or a pipeline's step. */
function trialFacts(row: JobRow): TrialFacts | StepFacts | null {
  if (!row.trial) return null;
  const raw = JSON.parse(row.trial);
  return 'sweep' in raw ? TrialFacts.parse(raw) : StepFacts.parse(raw);
}

/** The API shape of a job: its YAML fields as submitted, plus read-only facts. */
export function toJob(row: JobRow, extra: Partial<Job> = {}): Job {
  // A sweep keeps its whole request; its view shows the spec, with the trials' command as its own.
  const sweep = row.kind === 'sweep' ? storedSweep(row).spec : null;
  // A pipeline runs no command of its own: its view has its steps instead.
  const pipeline = row.kind === 'pipeline' ? storedPipeline(row).spec : null;
  const spec = sweep ? { ...sweep, command: sweep.trial.command } : pipeline ? { ...pipeline, command: '' } : JSON.parse(row.spec);
  const trial = trialFacts(row);
  const start = row.start_time ? Date.parse(row.start_time) : null;
  const end = row.end_time ? Date.parse(row.end_time) : null;
  return {
    ...spec,
    type: sweep ? 'sweep' : pipeline ? 'pipeline' : 'command',
    name: row.name,
    display_name: row.display_name,
    experiment_name: row.experiment_name,
    compute: row.compute,
    id: row.id,
    status: row.status as Job['status'],
    status_reason: trialStatusReason(row),
    creation_context: { created_at: row.created_at, created_by: row.created_by },
    start_time: row.start_time,
    end_time: row.end_time,
    duration_seconds: start !== null ? Math.round(((end ?? Date.now()) - start) / 10) / 100 : null,
    exit_code: row.exit_code,
    attempt: row.attempt,
    snapshot_id: row.snapshot_id,
    git: row.git ? JSON.parse(row.git) : null,
    node: row.node,
    wait_code: isWaiting(row.status) ? row.wait_code : null,
    ...(row.external_id ? { slurm_job_id: row.external_id } : {}),
    environment_details: row.environment ? { ...JSON.parse(row.environment), record: row.environment_record ? JSON.parse(row.environment_record) : null } : null,
    ...(trial ? { parent_job_name: 'sweep' in trial ? trial.sweep : trial.pipeline, child: trial } : {}),
    ...extra,
  };
}
