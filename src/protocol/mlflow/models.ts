import { z } from 'zod';
import { KeyValue, Metric } from './entities.ts';
import { invalidParam, invalidValue, missingParam } from './errors.ts';
import { optInt64, optList, optString, reqString, type Fields } from './fields.ts';
import { checkBatchCount, checkKey, LIMITS } from './validation.ts';

/**
 * MLflow's dataset inputs (runs/log-inputs) and MLflow 3 logged models, as the real client sends
 * and reads them (mlflow/protos/service.proto).
 */

export const Dataset = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
export type Dataset = z.infer<typeof Dataset>;

/** One dataset a run read, with its input tags (`mlflow.data.context`: train, eval...). */
export const DatasetInput = z.object({ tags: z.array(KeyValue).optional(), dataset: Dataset });
export type DatasetInput = z.infer<typeof DatasetInput>;

export const ModelInput = z.object({ model_id: z.string() });
export const ModelOutput = z.object({ model_id: z.string(), step: z.number() });
export type ModelOutput = z.infer<typeof ModelOutput>;

export const RunInputs = z.object({ dataset_inputs: z.array(DatasetInput).optional(), model_inputs: z.array(ModelInput).optional() });
export type RunInputs = z.infer<typeof RunInputs>;
export const RunOutputs = z.object({ model_outputs: z.array(ModelOutput).optional() });
export type RunOutputs = z.infer<typeof RunOutputs>;

/** The input tag that says what a dataset was for. */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

// mlflow/utils/validation.py: the limits _validate_dataset_inputs checks.
const DATASET_LIMITS = { name: 500, digest: 36, source: 65535, schema: 1048575, profile: 16384, tagKey: 255, tagValue: 500 } as const;

function bounded(f: Fields, name: keyof typeof DATASET_LIMITS, what: string, required: boolean): string | undefined {
  const v = required ? reqString(f, name) : optString(f, name);
  if (v !== undefined && v.length > DATASET_LIMITS[name]) throw invalidParam(`${what} exceeds the maximum length of ${DATASET_LIMITS[name]}`);
  return v;
}

/**
 * How many datasets or model references one request may carry. MLflow's server takes any number
 * here; its bound on one logging request's entities (log-batch's 1,000) is borrowed, far above
 * what its client sends (autolog logs a dataset or two per run).
 */
const MAX_REFS = LIMITS.batchTotal;

/** log-inputs' `datasets`, checked as MLflow's server checks them. */
export function readDatasetInputs(f: Fields): DatasetInput[] {
  const list = optList(f, 'datasets');
  checkBatchCount(list.length, MAX_REFS, 'datasets');
  return list.map((d) => {
    const raw = d.dataset;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw missingParam('dataset');
    const ds = raw as Fields;
    const dataset: Dataset = {
      name: bounded(ds, 'name', 'Dataset name', true)!,
      digest: bounded(ds, 'digest', 'Dataset digest', true)!,
      source_type: reqString(ds, 'source_type'),
      source: bounded(ds, 'source', 'Dataset source', true)!,
    };
    const schema = bounded(ds, 'schema', 'Dataset schema', false);
    const profile = bounded(ds, 'profile', 'Dataset profile', false);
    if (schema !== undefined) dataset.schema = schema;
    if (profile !== undefined) dataset.profile = profile;
    const tags = optList(d, 'tags').map((t) => {
      const key = reqString(t, 'key');
      const value = typeof t.value === 'string' ? t.value : t.value === undefined ? '' : String(t.value);
      if (key.length > DATASET_LIMITS.tagKey) throw invalidParam(`Input tag key '${key.slice(0, 40)}...' exceeds the maximum length of ${DATASET_LIMITS.tagKey}`);
      if (value.length > DATASET_LIMITS.tagValue) throw invalidParam(`Input tag value for '${key}' exceeds the maximum length of ${DATASET_LIMITS.tagValue}`);
      return { key, value };
    });
    return { ...(tags.length ? { tags } : {}), dataset };
  });
}

/** log-inputs' `models` (3.x) and runs/outputs' `models`. */
export function readModelRefs(f: Fields): { model_id: string; step: number }[] {
  const list = optList(f, 'models');
  checkBatchCount(list.length, MAX_REFS, 'models');
  return list.map((m) => ({ model_id: reqString(m, 'model_id'), step: optInt64(m, 'step') ?? 0 }));
}

// ---- logged models (MLflow 3) -------------------------------------------------------------------

export const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_STATUS_UNSPECIFIED', 'LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export const LoggedModelInfo = z.object({
  model_id: z.string(),
  experiment_id: z.string(),
  name: z.string(),
  creation_timestamp_ms: z.number(),
  last_updated_timestamp_ms: z.number(),
  artifact_uri: z.string(),
  status: z.enum(LOGGED_MODEL_STATUSES),
  model_type: z.string().optional(),
  source_run_id: z.string().optional(),
  tags: z.array(KeyValue).optional(),
});
export const LoggedModel = z.object({
  info: LoggedModelInfo,
  data: z.object({ params: z.array(KeyValue).optional(), metrics: z.array(Metric.extend({ run_id: z.string().optional(), model_id: z.string().optional() })).optional() }),
});
export type LoggedModel = z.infer<typeof LoggedModel>;

/** The status a finalize names: the enum's name, its number, or the client's short READY/FAILED. */
export function readLoggedModelStatus(f: Fields): LoggedModelStatus {
  const v = f.status;
  if (v === undefined || v === null || v === '') throw missingParam('status');
  if (typeof v === 'number' && LOGGED_MODEL_STATUSES[v]) return LOGGED_MODEL_STATUSES[v];
  if (typeof v === 'string') {
    const s = v.toUpperCase();
    const named = LOGGED_MODEL_STATUSES.find((x) => x === s || x === `LOGGED_MODEL_${s}` || (s === 'FAILED' && x === 'LOGGED_MODEL_UPLOAD_FAILED'));
    if (named) return named;
  }
  throw invalidValue('status', v);
}

/** MLflow's _validate_logged_model_name: a name becomes a path segment and a filter value. */
export function checkLoggedModelName(name: string): string {
  const bad = ['/', ':', '.', '%', '"', "'"].filter((c) => name.includes(c));
  if (!name || bad.length) {
    throw invalidParam(`Invalid model name '${name}'. Names must be non-empty and must not contain any of the following characters: ${bad.length ? bad.join(' ') : "/ : . % \" '"}`);
  }
  if (name.length > 500) throw invalidParam(`Model name exceeds the maximum length of 500 characters`);
  return name;
}

/**
 * `params` or `tags` of a logged-model or registry request, keys checked like a run's; values past
 * `maxValue` are cut. At most 100 of them, log-batch's bound (the 3.x client sends a logged
 * model's params 100 a request).
 */
export function readModelKeyValues(f: Fields, field: 'params' | 'tags', maxValue = Infinity): { key: string; value: string }[] {
  const list = optList(f, field);
  checkBatchCount(list.length, field === 'params' ? LIMITS.batchParams : LIMITS.batchTags, field);
  return list.map((t) => {
    const key = checkKey(field === 'params' ? 'param' : 'tag', reqString(t, 'key'));
    const v = t.value;
    const value = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === undefined || v === null ? '' : undefined;
    if (value === undefined) throw invalidValue('value', v);
    return { key, value: value.slice(0, maxValue) };
  });
}

export const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';

/**
 * What the server keeps of an MLmodel sent to runs/log-model (Model.get_tags_dict): the fields
 * the UI and register_model read, without signatures and examples that would outgrow a tag.
 */
export function modelHistoryEntry(modelJson: string): Record<string, unknown> {
  let model: unknown;
  try {
    model = JSON.parse(modelJson);
  } catch {
    throw invalidParam(`Malformed model info. \n ${modelJson.slice(0, 200)} \n is not a valid JSON.`);
  }
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw invalidParam('Malformed model info: model_json must be a JSON object');
  const m = model as Record<string, unknown>;
  const missing = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'].filter((k) => !(k in m));
  if (missing.length) throw invalidParam(`Model json is missing mandatory fields: {${missing.map((k) => `'${k}'`).join(', ')}}`);
  const entry: Record<string, unknown> = {};
  for (const k of ['run_id', 'artifact_path', 'utc_time_created', 'model_uuid']) if (k in m) entry[k] = m[k];
  const flavors = m.flavors && typeof m.flavors === 'object' && !Array.isArray(m.flavors) ? (m.flavors as Record<string, unknown>) : {};
  entry.flavors = Object.fromEntries(
    Object.entries(flavors).map(([name, conf]) => [name, conf && typeof conf === 'object' && !Array.isArray(conf) ? Object.fromEntries(Object.entries(conf).filter(([k]) => k !== 'config')) : conf]),
  );
  return entry;
}
