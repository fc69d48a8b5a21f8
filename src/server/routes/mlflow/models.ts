import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidValue } from '../../../protocol/mlflow/errors.ts';
import { experimentIdOf, optInt64, optList, optString, optStringList, reqString, runIdOf, type Fields } from '../../../protocol/mlflow/fields.ts';
import { readDatasetInputs, readLoggedModelStatus, readModelKeyValues, readModelRefs } from '../../../protocol/mlflow/models.ts';
import { LIMITS } from '../../../protocol/mlflow/validation.ts';
import type { Services } from '../../services/index.ts';
import type { ModelServices } from '../../services/tracking/model-services.ts';
import { loggedModelArtifactUri } from '../../services/tracking/logged-models.ts';
import { fieldsOf, scopeOf } from './request.ts';

const EMPTY = {};
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Path parameters join the fields, as MLflow's server reads `{model_id}` into the request message. */
const fieldsWithParams = (req: FastifyRequest): Fields => ({ ...fieldsOf(req), ...(req.params as Fields) });

/**
 * What the real client sends when it logs data and models (mlflow/protos/service.proto):
 * runs/log-inputs (datasets), runs/log-model (the run's model history), and MLflow 3's
 * runs/outputs and logged models.
 */
export function modelRoutes(app: FastifyInstance, s: Services, m: ModelServices): void {
  const route = (method: Method, url: string, handler: (f: Fields, req: FastifyRequest) => Promise<unknown>) =>
    app.route({ method, url, handler: (req) => handler(fieldsWithParams(req), req) });

  route('POST', '/runs/log-inputs', async (f, req) => {
    await m.io.logInputs(scopeOf(req), runIdOf(f), readDatasetInputs(f), readModelRefs(f));
    return EMPTY;
  });
  route('POST', '/runs/log-model', async (f, req) => {
    await m.io.logModel(scopeOf(req), runIdOf(f), reqString(f, 'model_json'));
    return EMPTY;
  });
  route('POST', '/runs/outputs', async (f, req) => {
    await m.io.logOutputs(scopeOf(req), runIdOf(f), readModelRefs(f));
    return EMPTY;
  });

  // MLflow 3's logged models.
  route('POST', '/logged-models', async (f, req) => ({
    model: await m.loggedModels.create(scopeOf(req), {
      experimentId: experimentIdOf(f),
      name: optString(f, 'name'),
      sourceRunId: optString(f, 'source_run_id') || undefined,
      modelType: optString(f, 'model_type'),
      params: readModelKeyValues(f, 'params', LIMITS.paramValue),
      tags: readModelKeyValues(f, 'tags', LIMITS.tagValue),
    }),
  }));
  route('GET', '/logged-models/:model_id', async (f) => ({ model: await m.loggedModels.get(reqString(f, 'model_id')) }));
  route('DELETE', '/logged-models/:model_id', async (f, req) => {
    await m.loggedModels.delete(scopeOf(req), reqString(f, 'model_id'));
    return EMPTY;
  });
  route('PATCH', '/logged-models/:model_id', async (f, req) => ({ model: await m.loggedModels.finalize(scopeOf(req), reqString(f, 'model_id'), readLoggedModelStatus(f)) }));
  route('PATCH', '/logged-models/:model_id/tags', async (f, req) => {
    await m.loggedModels.setTags(scopeOf(req), reqString(f, 'model_id'), readModelKeyValues(f, 'tags', LIMITS.tagValue));
    return EMPTY;
  });
  route('DELETE', '/logged-models/:model_id/tags/:tag_key', async (f, req) => {
    await m.loggedModels.deleteTag(scopeOf(req), reqString(f, 'model_id'), reqString(f, 'tag_key'));
    return EMPTY;
  });
  route('POST', '/logged-models/:model_id/params', async (f, req) => {
    await m.loggedModels.logParams(scopeOf(req), reqString(f, 'model_id'), readModelKeyValues(f, 'params', LIMITS.paramValue));
    return EMPTY;
  });
  // The 3.x client looks here for a logged model named like a run's artifact path before it lists or downloads.
  route('POST', '/logged-models/search', async (f) => {
    const max = optInt64(f, 'max_results') ?? 100;
    if (max <= 0 || max > LIMITS.searchMaxResults) throw invalidValue('max_results', max);
    const r = await m.loggedModels.search({
      experimentIds: optStringList(f, 'experiment_ids') ?? [],
      filter: optString(f, 'filter'),
      maxResults: max,
      orderBy: optList(f, 'order_by').map((o) => ({ field_name: reqString(o, 'field_name'), ascending: o.ascending !== false && o.ascending !== 'false' })),
      pageToken: optString(f, 'page_token'),
    });
    return { ...(r.models.length ? { models: r.models } : {}), ...(r.nextPageToken ? { next_page_token: r.nextPageToken } : {}) };
  });
  route('GET', '/logged-models/:model_id/artifacts/directories', async (f, req) => {
    const model = await m.loggedModels.readableFiles(scopeOf(req), reqString(f, 'model_id'));
    const path = (optString(f, 'artifact_directory_path') ?? '').replace(/^\/+|\/+$/g, '');
    const root = loggedModelArtifactUri(model.experiment_id, model.model_id);
    const files = await s.tracking.artifacts.list(scopeOf(req), `${root.slice('mlflow-artifacts:/'.length)}${path ? `/${path}` : ''}`);
    const prefix = path ? `${path}/` : '';
    return { root_uri: root, ...(files ? { files: files.map((x) => ({ ...x, path: prefix + x.path })) } : {}) };
  });
}
