import { wireDouble, type Experiment, type Run, type RunInfo, type RunStatus } from '../../../protocol/mlflow/entities.ts';
import type { ExperimentRow, RunRow } from '../../../store/runs.ts';
import type { LatestMetric } from '../../../store/metrics.ts';

/** Store rows as MLflow's entities. */
export const artifactUriOf = (experimentId: number | string, runId: string) => `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
export const experimentLocationOf = (id: number) => `mlflow-artifacts:/${id}`;

const pairs = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).map(([key, value]) => ({ key, value }));

export function toExperiment(row: ExperimentRow, tags?: Record<string, string>): Experiment {
  return {
    experiment_id: String(row.id),
    name: row.name,
    artifact_location: row.artifact_location,
    lifecycle_stage: row.lifecycle_stage as Experiment['lifecycle_stage'],
    creation_time: Number(row.creation_time),
    last_update_time: Number(row.last_update_time),
    ...(tags && Object.keys(tags).length ? { tags: pairs(tags) } : {}),
  };
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    run_id: row.run_id,
    run_uuid: row.run_id,
    run_name: row.name,
    experiment_id: String(row.experiment_id),
    user_id: row.user_id,
    status: row.status as RunStatus,
    start_time: Number(row.start_time),
    ...(row.end_time === null ? {} : { end_time: Number(row.end_time) }),
    artifact_uri: artifactUriOf(row.experiment_id, row.run_id),
    lifecycle_stage: row.lifecycle_stage as RunInfo['lifecycle_stage'],
  };
}

export function toRun(row: RunRow, params: Record<string, string> | undefined, tags: Record<string, string> | undefined, metrics: LatestMetric[]): Run {
  return {
    info: toRunInfo(row),
    data: {
      metrics: metrics.map((m) => ({ key: m.key, value: wireDouble(m.value), timestamp: m.timestamp, step: m.step })),
      params: pairs(params),
      tags: pairs(tags),
    },
    inputs: {},
  };
}
