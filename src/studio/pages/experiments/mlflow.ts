// The MLflow REST API as the studio calls it (under /ajax-api, as MLflow's own UI does): the
// entities it answers with, and the searches the experiment pages make.
import { api } from '../../api.ts';
import type { WireDouble } from '../../charts/series.ts';

export const MLFLOW = '/ajax-api/2.0/mlflow';

export interface KeyValue {
  key: string;
  value: string;
}
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  tags?: KeyValue[];
}
export interface Run {
  info: {
    run_id: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
    start_time: number;
    end_time?: number;
    lifecycle_stage: 'active' | 'deleted';
  };
  data: { metrics?: { key: string; value: WireDouble; step: number; timestamp: number }[]; params?: KeyValue[]; tags?: KeyValue[] };
}

const RUNS_PER_PAGE = 250;

export function searchRuns(o: { experimentId: string; filter: string; orderBy: string | null; pageToken?: string }): Promise<{ runs?: Run[]; next_page_token?: string }> {
  return api('POST', `${MLFLOW}/runs/search`, {
    experiment_ids: [o.experimentId],
    filter: o.filter,
    max_results: RUNS_PER_PAGE,
    ...(o.orderBy ? { order_by: [o.orderBy] } : {}),
    ...(o.pageToken ? { page_token: o.pageToken } : {}),
  });
}

export function searchExperiments(o: { filter: string; viewType: 'ACTIVE_ONLY' | 'ALL'; pageToken?: string }): Promise<{ experiments?: Experiment[]; next_page_token?: string }> {
  return api('POST', `${MLFLOW}/experiments/search`, {
    max_results: 500,
    filter: o.filter,
    view_type: o.viewType,
    order_by: ['last_update_time DESC'],
    ...(o.pageToken ? { page_token: o.pageToken } : {}),
  });
}

/** A run's tag; the job of a job's run is named by `cairn.job.name` (its run name is the display name). */
export const tagOf = (r: Run, key: string): string | undefined => r.data.tags?.find((t) => t.key === key)?.value;
export const jobOf = (r: Run): string | undefined => tagOf(r, 'cairn.job.name');

/** A string in MLflow's filter grammar: single quotes, doubled inside. */
export const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
