import { randomUUID } from 'node:crypto';
import { MlflowError, invalidParam } from '../../../protocol/mlflow/errors.ts';
import { LIMITS } from '../../../protocol/mlflow/validation.ts';
import { checkLoggedModelName, type LoggedModel, type LoggedModelStatus } from '../../../protocol/mlflow/models.ts';
import type { Store } from '../../../store/index.ts';
import { LoggedModelsRepo, type LoggedModelRow } from '../../../store/logged-models.ts';
import { checkComparator, matchNumber, matchString, numberValue, own, parseComparisons, stringValue, NUMERIC_COMPARATORS, STRING_COMPARATORS } from '../../../tracking/search/filter.ts';
import { splitIdentifier } from '../../../tracking/search/lexer.ts';
import { paginate, parsePageToken } from '../../../tracking/search/page-token.ts';
import { generateNames } from '../names.ts';
import type { ExperimentsService } from './experiments.ts';
import { pairs, readRecord } from './registry-views.ts';
import type { RunsService, Scope } from './runs.ts';

/** Where a logged model's files live: under its experiment, as MLflow's server lays them out. */
export const loggedModelArtifactUri = (experimentId: string, modelId: string) => `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`;

export const isLoggedModelId = (s: string) => /^m-[0-9a-f]{32}$/.test(s);

/**
 * MLflow 3's logged models: a model with its own id, params, tags and files (kept in the
 * artifacts table under the model's id, as a run's are under the run's), linked to the run that
 * produced it. A job writes only the logged models it made or its runs produced.
 */
export class LoggedModelsService {
  private readonly store: Store;
  private readonly runs: RunsService;
  private readonly experiments: ExperimentsService;
  private readonly repo: LoggedModelsRepo;
  constructor(store: Store, runs: RunsService, experiments: ExperimentsService) {
    this.store = store;
    this.runs = runs;
    this.experiments = experiments;
    this.repo = new LoggedModelsRepo(store.db);
  }

  async create(
    scope: Scope,
    r: { experimentId: string; name?: string; sourceRunId?: string; modelType?: string; params: { key: string; value: string }[]; tags: { key: string; value: string }[] },
  ): Promise<LoggedModel> {
    const exp = await this.experiments.row(r.experimentId);
    if (exp.lifecycle_stage !== 'active') throw invalidParam(`The experiment ${exp.id} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`);
    const name = r.name === undefined || r.name === '' ? generateNames().display_name.replace('_', '-') : checkLoggedModelName(r.name);
    // A job names its own runs as sources: the run's outputs are its to write.
    if (r.sourceRunId) await this.runs.writable(scope, r.sourceRunId);
    const now = Date.now();
    const row = {
      model_id: `m-${randomUUID().replace(/-/g, '')}`,
      workspace: this.experiments.workspace,
      experiment_id: String(exp.id),
      name,
      source_run_id: r.sourceRunId ?? null,
      status: 'LOGGED_MODEL_PENDING',
      model_type: r.modelType || null,
      lifecycle_stage: 'active',
      creation_ms: now,
      updated_ms: now,
      params: JSON.stringify(Object.fromEntries(r.params.map((p) => [p.key, p.value]))),
      tags: JSON.stringify(Object.fromEntries(r.tags.map((t) => [t.key, t.value]))),
      metrics: '[]',
      created_by_job: scope.jobId ?? null,
    };
    await this.repo.insert(row);
    return toLoggedModel({ ...row });
  }

  /** An active logged model, or MLflow's 404. */
  row(modelId: string): Promise<LoggedModelRow> {
    return activeLoggedModel(this.repo, modelId);
  }

  async get(modelId: string): Promise<LoggedModel> {
    return toLoggedModel(await this.row(modelId));
  }

  /** The model, checked for writing: a user writes any; a job the ones it made or its runs produced. */
  writable(scope: Scope, modelId: string): Promise<LoggedModelRow> {
    return loggedModelOf(this.store, scope, modelId);
  }

  /** Files of a logged model are its maker's to read, as a run's artifacts are (see RunsService.artifactsReadable). */
  readableFiles(scope: Scope, modelId: string): Promise<LoggedModelRow> {
    return loggedModelOf(this.store, scope, modelId);
  }

  async finalize(scope: Scope, modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const row = await this.writable(scope, modelId);
    const updated = { ...row, status, updated_ms: Date.now() };
    await this.repo.update(modelId, { status, updated_ms: updated.updated_ms });
    return toLoggedModel(updated);
  }

  async delete(scope: Scope, modelId: string): Promise<void> {
    await this.writable(scope, modelId);
    await this.repo.update(modelId, { lifecycle_stage: 'deleted', updated_ms: Date.now() });
  }

  async setTags(scope: Scope, modelId: string, tags: { key: string; value: string }[]): Promise<void> {
    const row = await this.writable(scope, modelId);
    const merged = { ...readRecord(row.tags), ...Object.fromEntries(tags.map((t) => [t.key, t.value])) };
    await this.repo.update(modelId, { tags: JSON.stringify(merged), updated_ms: Date.now() });
  }

  async deleteTag(scope: Scope, modelId: string, key: string): Promise<void> {
    const row = await this.writable(scope, modelId);
    const tags = readRecord(row.tags);
    if (!Object.hasOwn(tags, key)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with key '${key}' found for model with ID '${modelId}'.`);
    delete tags[key];
    await this.repo.update(modelId, { tags: JSON.stringify(tags), updated_ms: Date.now() });
  }

  /** Params, like a run's, never change once logged. */
  async logParams(scope: Scope, modelId: string, params: { key: string; value: string }[]): Promise<void> {
    const row = await this.writable(scope, modelId);
    const have = readRecord(row.params);
    for (const p of params) {
      const old = own(have, p.key);
      if (old !== undefined && old !== p.value) {
        throw invalidParam(`Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for model ID='${modelId}'. Attempted logging new value '${p.value}'.`);
      }
      have[p.key] = p.value.slice(0, LIMITS.paramValue);
    }
    await this.repo.update(modelId, { params: JSON.stringify(have), updated_ms: Date.now() });
  }

  /** The logged models a run produced under a name, newest first (the 3.x client's `runs:/RUN/NAME`). */
  async bySourceRun(runId: string, name: string): Promise<LoggedModelRow[]> {
    return this.repo.bySourceRun(runId, name);
  }

  /**
   * search: MLflow's filter over attributes (name, model_id, status, model_type, source_run_id,
   * creation_timestamp, last_updated_timestamp), tags and params; metrics are not kept here, so a
   * metrics clause matches nothing. Newest first unless ordered otherwise.
   */
  async search(o: { experimentIds: string[]; filter?: string; maxResults: number; orderBy: { field_name: string; ascending: boolean }[]; pageToken?: string }) {
    const rows = await this.repo.ofExperiments(this.experiments.workspace, o.experimentIds);
    const clauses = o.filter?.trim() ? parseComparisons(o.filter).map(toClause) : [];
    const hits = rows.filter((r) => clauses.every((c) => c(r)));
    // Each key is checked before any row is looked at, and read once per row, not once per comparison.
    const orders = (o.orderBy.length ? o.orderBy : [{ field_name: 'creation_timestamp', ascending: false }]).map((ob) => ({ get: orderKey(ob.field_name), sign: ob.ascending ? 1 : -1 }));
    const keyed = hits.map((r) => ({ r, keys: orders.map((ob) => ob.get(r)) }));
    keyed.sort((a, b) => {
      for (const [i, ob] of orders.entries()) {
        const [x, y] = [a.keys[i], b.keys[i]];
        const d = x === y ? 0 : x === undefined ? 1 : y === undefined ? -1 : x < y ? -1 : 1;
        if (d) return ob.sign * d;
      }
      return a.r.model_id < b.r.model_id ? -1 : 1;
    });
    const { page, nextPageToken } = paginate(keyed.map((k) => k.r), parsePageToken(o.pageToken), o.maxResults);
    return { models: page.map(toLoggedModel), nextPageToken };
  }
}

async function activeLoggedModel(repo: LoggedModelsRepo, modelId: string): Promise<LoggedModelRow> {
  const row = await repo.get(modelId);
  if (!row || row.lifecycle_stage !== 'active') throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${modelId}' not found.`);
  return row;
}

/**
 * An active logged model the caller may write (and read the files of): any for a user; for a
 * job, the ones its token made or its runs produced. The artifact proxy checks with this too.
 */
export async function loggedModelOf(store: Store, scope: Scope, modelId: string): Promise<LoggedModelRow> {
  const row = await activeLoggedModel(new LoggedModelsRepo(store.db), modelId);
  if (!scope.jobId || row.created_by_job === scope.jobId) return row;
  const run = row.source_run_id ? await store.runs.run(row.source_run_id) : undefined;
  if (run && (run.job_id === scope.jobId || run.created_by_job === scope.jobId)) return row;
  throw new MlflowError('PERMISSION_DENIED', `a job token can only use the logged models it made; ${modelId} is not one of them`);
}

const ATTRIBUTES: Record<string, (r: LoggedModelRow) => string | number | undefined> = {
  name: (r) => r.name,
  model_id: (r) => r.model_id,
  status: (r) => r.status.replace(/^LOGGED_MODEL_/, ''),
  model_type: (r) => r.model_type ?? undefined,
  source_run_id: (r) => r.source_run_id ?? undefined,
  experiment_id: (r) => r.experiment_id,
  creation_timestamp: (r) => Number(r.creation_ms),
  creation_time: (r) => Number(r.creation_ms),
  last_updated_timestamp: (r) => Number(r.updated_ms),
};

/** What an order_by field reads of a row; an unknown field is refused at once. */
function orderKey(field: string): (r: LoggedModelRow) => string | number | undefined {
  const { entity, key } = splitIdentifier(field);
  if (entity === 'tags' || entity === 'tag') return (r) => own(readRecord(r.tags), key);
  if (entity === 'params' || entity === 'param') return (r) => own(readRecord(r.params), key);
  if (entity === 'metrics' || entity === 'metric') return () => undefined;
  const get = ATTRIBUTES[key];
  if (!get) throw invalidParam(`Invalid order by field name: ${field}`);
  return get;
}

function toClause(c: { identifier: string; comparator: string; value: Parameters<typeof stringValue>[0] }): (r: LoggedModelRow) => boolean {
  const { entity, key } = splitIdentifier(c.identifier);
  if (entity === 'metrics' || entity === 'metric') {
    checkComparator(c.comparator, NUMERIC_COMPARATORS);
    numberValue(c.value, 'metric');
    return () => false;
  }
  if (entity === 'tags' || entity === 'tag' || entity === 'params' || entity === 'param') {
    const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
    const value = stringValue(c.value, "tag (e.g. 'my-value')");
    const isTag = entity.startsWith('tag');
    return (r) => {
      const v = own(readRecord(isTag ? r.tags : r.params), key);
      return v !== undefined && matchString(comparator, v, value);
    };
  }
  if (entity !== undefined && entity !== 'attribute' && entity !== 'attributes') throw invalidParam(`Invalid entity type '${entity}' in filter`);
  const get = ATTRIBUTES[key];
  if (!get) throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are ${Object.keys(ATTRIBUTES).join(', ')}`);
  if (key.startsWith('creation') || key.startsWith('last_updated')) {
    const comparator = checkComparator(c.comparator, NUMERIC_COMPARATORS);
    const value = numberValue(c.value, `numeric attribute: ${key}`);
    return (r) => matchNumber(comparator, get(r) as number, value);
  }
  const comparator = checkComparator(c.comparator, STRING_COMPARATORS);
  const value = stringValue(c.value, 'attributes');
  return (r) => {
    const v = get(r);
    return v !== undefined && matchString(comparator, String(v), key === 'status' ? value.replace(/^LOGGED_MODEL_/, '') : value);
  };
}

export function toLoggedModel(r: LoggedModelRow): LoggedModel {
  const tags = pairs(readRecord(r.tags));
  const params = pairs(readRecord(r.params));
  return {
    info: {
      model_id: r.model_id,
      experiment_id: r.experiment_id,
      name: r.name,
      creation_timestamp_ms: Number(r.creation_ms),
      last_updated_timestamp_ms: Number(r.updated_ms),
      artifact_uri: loggedModelArtifactUri(r.experiment_id, r.model_id),
      status: r.status as LoggedModel['info']['status'],
      ...(r.model_type ? { model_type: r.model_type } : {}),
      ...(r.source_run_id ? { source_run_id: r.source_run_id } : {}),
      ...(tags.length ? { tags } : {}),
    },
    data: params.length ? { params } : {},
  };
}
