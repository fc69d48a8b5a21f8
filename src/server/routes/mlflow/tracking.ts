import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import {
  experimentIdOf,
  optInt64,
  optList,
  optString,
  optStringList,
  reqString,
  runIdOf,
  type Fields,
} from '../../../protocol/mlflow/fields.ts';
import { checkMaxResults, LIMITS, readLogBatch, readMetric, readParam, readTag } from '../../../protocol/mlflow/validation.ts';
import type { Services } from '../../services/index.ts';
import { wireDouble } from '../../../protocol/mlflow/entities.ts';
import { createPageToken, parsePageToken } from '../../../tracking/search/index.ts';
import { fieldsOf, scopeOf } from './request.ts';

const EMPTY = {};

/** The MLflow tracking REST API, as the real Python client calls it (see shared/reference/mlflow/API.md). */
export function trackingRoutes(app: FastifyInstance, s: Services): void {
  const { experiments, runs } = s.tracking;
  const route = (method: 'GET' | 'POST' | ('GET' | 'POST')[], url: string, handler: (f: Fields, req: FastifyRequest) => Promise<unknown>) =>
    app.route({ method, url, handler: (req) => handler(fieldsOf(req), req) });

  // Experiments.
  route('GET', '/experiments/get-by-name', async (f) => ({ experiment: await experiments.getByName(reqString(f, 'experiment_name')) }));
  route('GET', '/experiments/get', async (f) => ({ experiment: await experiments.get(experimentIdOf(f)) }));
  route('POST', '/experiments/create', async (f) => ({
    experiment_id: await experiments.create(reqString(f, 'name'), optList(f, 'tags').map((t) => ({ key: reqString(t, 'key'), value: reqString(t, 'value') }))),
  }));
  route(['GET', 'POST'], '/experiments/search', async (f) => {
    const r = await experiments.search({
      filter: optString(f, 'filter'),
      orderBy: optStringList(f, 'order_by'),
      maxResults: checkMaxResults(optInt64(f, 'max_results'), LIMITS.searchMaxResults, 1000),
      pageToken: optString(f, 'page_token'),
      viewType: optString(f, 'view_type'),
    });
    return { ...(r.experiments.length ? { experiments: r.experiments } : {}), ...(r.nextPageToken ? { next_page_token: r.nextPageToken } : {}) };
  });
  route('POST', '/experiments/set-experiment-tag', async (f, req) => {
    await experiments.setTag(scopeOf(req), experimentIdOf(f), reqString(f, 'key'), reqString(f, 'value'));
    return EMPTY;
  });
  route('POST', '/experiments/delete', async (f, req) => {
    await experiments.setLifecycle(scopeOf(req), experimentIdOf(f), 'deleted');
    return EMPTY;
  });
  route('POST', '/experiments/restore', async (f, req) => {
    await experiments.setLifecycle(scopeOf(req), experimentIdOf(f), 'active');
    return EMPTY;
  });
  route('POST', '/experiments/update', async (f, req) => {
    await experiments.rename(scopeOf(req), experimentIdOf(f), reqString(f, 'new_name'));
    return EMPTY;
  });

  // Runs.
  route('POST', '/runs/create', async (f, req) => ({
    run: await runs.create(scopeOf(req), {
      experimentId: f.experiment_id === undefined ? undefined : experimentIdOf(f),
      userId: optString(f, 'user_id'),
      runName: optString(f, 'run_name'),
      startTime: optInt64(f, 'start_time'),
      tags: optList(f, 'tags').map(readTag),
    }),
  }));
  route('GET', '/runs/get', async (f, req) => ({ run: await runs.get(scopeOf(req), runIdOf(f)) }));
  route('POST', '/runs/update', async (f, req) => ({
    run_info: await runs.update(scopeOf(req), runIdOf(f), { status: optString(f, 'status'), endTime: optInt64(f, 'end_time'), runName: optString(f, 'run_name') }),
  }));
  route('POST', '/runs/delete', async (f, req) => {
    await runs.setLifecycle(scopeOf(req), runIdOf(f), 'deleted');
    return EMPTY;
  });
  route('POST', '/runs/restore', async (f, req) => {
    await runs.setLifecycle(scopeOf(req), runIdOf(f), 'active');
    return EMPTY;
  });
  route('POST', '/runs/search', async (f) => {
    const r = await runs.search({
      experimentIds: optStringList(f, 'experiment_ids') ?? [],
      filter: optString(f, 'filter'),
      orderBy: optStringList(f, 'order_by'),
      maxResults: checkMaxResults(optInt64(f, 'max_results'), LIMITS.searchMaxResults, 1000),
      pageToken: optString(f, 'page_token'),
      viewType: optString(f, 'run_view_type'),
    });
    return { ...(r.runs.length ? { runs: r.runs } : {}), ...(r.nextPageToken ? { next_page_token: r.nextPageToken } : {}) };
  });
  route('POST', '/runs/log-batch', async (f, req) => {
    await runs.logBatch(scopeOf(req), readLogBatch(f), req.rawBody);
    return EMPTY;
  });
  route('POST', '/runs/log-metric', async (f, req) => {
    await runs.logBatch(scopeOf(req), { runId: runIdOf(f), metrics: [readMetric(f)], params: [], tags: [] }, req.rawBody);
    return EMPTY;
  });
  route('POST', '/runs/log-parameter', async (f, req) => {
    await runs.logBatch(scopeOf(req), { runId: runIdOf(f), metrics: [], params: [readParam(f)], tags: [] });
    return EMPTY;
  });
  route('POST', '/runs/set-tag', async (f, req) => {
    await runs.logBatch(scopeOf(req), { runId: runIdOf(f), metrics: [], params: [], tags: [readTag(f)] });
    return EMPTY;
  });
  route('POST', '/runs/delete-tag', async (f, req) => {
    await runs.deleteTag(scopeOf(req), runIdOf(f), reqString(f, 'key'));
    return EMPTY;
  });

  // Metrics.
  // A page is 25,000 points: written straight to JSON text, as building objects first costs twice as much.
  app.get('/metrics/get-history', async (req, reply) => {
    const f = fieldsOf(req);
    const limit = Math.min(optInt64(f, 'max_results') ?? LIMITS.historyPage, LIMITS.historyPage);
    if (limit <= 0) throw invalidParam(`Invalid value ${limit} for parameter 'max_results' supplied. It must be a positive integer`);
    const offset = parsePageToken(optString(f, 'page_token'));
    const key = reqString(f, 'metric_key');
    const r = await runs.history(scopeOf(req), runIdOf(f), key, offset, limit);
    reply.type('application/json');
    return historyJson(key, r.points, r.nextOffset);
  });

  // Listing through the tracking server, for artifact URIs that are not proxied.
  route('GET', '/artifacts/list', async (f, req) => {
    const run = await runs.readable(scopeOf(req), runIdOf(f));
    const path = optString(f, 'path') ?? '';
    const root = `${run.experiment_id}/${run.run_id}/artifacts`;
    const files = await s.tracking.artifacts.list(scopeOf(req), path ? `${root}/${path}` : root);
    const prefix = path ? `${path.replace(/\/+$/, '')}/` : '';
    return { root_uri: `mlflow-artifacts:/${root}`, ...(files ? { files: files.map((x) => ({ ...x, path: prefix + x.path })) } : {}) };
  });
}

function historyJson(key: string, points: Float64Array, nextOffset: number | undefined): string {
  // Plain concatenation: V8 builds a rope, which is cheaper here than template parts joined at the end.
  const head = '{"key":' + JSON.stringify(key) + ',"value":';
  let out = '{';
  if (points.length) {
    out += '"metrics":[';
    for (let i = 0; i < points.length; i += 3) {
      const v = points[i + 2];
      if (i) out += ',';
      out += head + (Number.isFinite(v) ? v : '"' + wireDouble(v) + '"') + ',"timestamp":' + points[i + 1] + ',"step":' + points[i] + '}';
    }
    out += ']';
  }
  if (nextOffset !== undefined) out += (points.length ? ',' : '') + '"next_page_token":"' + createPageToken(nextOffset) + '"';
  return out + '}';
}
