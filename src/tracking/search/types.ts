export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type LifecycleStage = 'active' | 'deleted';

export interface RunView {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  /** RUNNING | SCHEDULED | FINISHED | FAILED | KILLED */
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Latest value per key; may be NaN or ±Infinity. */
  metrics: Record<string, number>;
}

export interface ExperimentView {
  experiment_id: string;
  name: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: Record<string, string>;
}

export type NumericComparator = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';
export type ListComparator = 'IN' | 'NOT IN';

export type RunEntity = 'metric' | 'parameter' | 'tag' | 'attribute';
export type RunNumericAttribute = 'start_time' | 'end_time';
export type RunStringAttribute = 'run_id' | 'run_name' | 'status' | 'user_id' | 'artifact_uri';
export type RunAttribute = RunNumericAttribute | RunStringAttribute;

/**
 * One AND-ed clause of a run filter, validated and normalised: attribute aliases are resolved
 * (`created` is `start_time`, `tags."mlflow.runName"` is the `run_name` attribute), so a SQL
 * translation can switch on `entity` and `key` alone.
 */
export type RunClause =
  | { kind: 'number'; entity: 'metric'; key: string; comparator: NumericComparator; value: number }
  | { kind: 'number'; entity: 'attribute'; key: RunNumericAttribute; comparator: NumericComparator; value: number }
  | { kind: 'string'; entity: 'parameter' | 'tag'; key: string; comparator: StringComparator; value: string }
  | { kind: 'string'; entity: 'attribute'; key: RunStringAttribute; comparator: StringComparator; value: string }
  | { kind: 'list'; entity: 'attribute'; key: 'run_id'; comparator: ListComparator; value: string[] };

export interface RunOrder {
  entity: RunEntity;
  /** For `attribute`, a RunAttribute. */
  key: string;
  ascending: boolean;
}

export type ExperimentNumericAttribute = 'creation_time' | 'last_update_time';
export type ExperimentClause =
  | { kind: 'number'; entity: 'attribute'; key: ExperimentNumericAttribute; comparator: NumericComparator; value: number }
  | { kind: 'string'; entity: 'attribute'; key: 'name'; comparator: StringComparator; value: string }
  | { kind: 'string'; entity: 'tag'; key: string; comparator: StringComparator; value: string };

export type ExperimentOrderKey = 'name' | 'experiment_id' | 'creation_time' | 'last_update_time';
export interface ExperimentOrder {
  key: ExperimentOrderKey;
  ascending: boolean;
}

export interface SearchOptions {
  filter?: string;
  orderBy?: string[];
  maxResults: number;
  pageToken?: string;
  viewType?: ViewType;
}
