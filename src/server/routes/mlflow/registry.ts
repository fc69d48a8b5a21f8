import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asFields, optInt64, optString, optStringList, reqString, reqValueString, type Fields } from '../../../protocol/mlflow/fields.ts';
import { readModelKeyValues } from '../../../protocol/mlflow/models.ts';
import { checkKey } from '../../../protocol/mlflow/validation.ts';
import { readModelName, readVersion } from '../../../protocol/mlflow/registry.ts';
import { createdBy } from '../../auth.ts';
import type { ModelServices } from '../../services/tracking/model-services.ts';
import { fieldsOf, scopeOf } from './request.ts';

const EMPTY = {};
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A DELETE may carry its fields in the body (the Python client) or the query (curl, other clients). */
const fieldsAnyway = (req: FastifyRequest): Fields => (req.method === 'GET' ? fieldsOf(req) : { ...asFields(req.query), ...fieldsOf(req) });

/** Tags as MLflow reads them (key names checked, values strings); their lengths are the registry's to refuse, never cut. */
const tagsOf = (f: Fields) => readModelKeyValues(f, 'tags');
const tagOf = (f: Fields) => ({ key: checkKey('tag', reqString(f, 'key')), value: reqValueString(f, 'value') });
const truthy = (v: unknown) => v === true || v === 'true' || v === 'True' || v === 1;

/**
 * MLflow's model registry REST API (mlflow/protos/model_registry.proto), over Cairn's model
 * assets. A job token may create names and register versions (of any name, from what it may
 * read), but change or delete only what its job made; every name and version records who made it.
 */
export function registryRoutes(app: FastifyInstance, m: ModelServices): void {
  const route = (method: Method | Method[], url: string, handler: (f: Fields, req: FastifyRequest) => Promise<unknown>) =>
    app.route({ method, url, handler: (req) => handler(fieldsAnyway(req), req) });
  const { registry, versions } = m;
  const name = (f: Fields) => reqString(f, 'name');
  /** The caller's created-by when it is a job (whose writes are limited to what it made), null for an admin. */
  const jobBy = (req: FastifyRequest) => (req.principal?.kind === 'job' ? createdBy(req) : null);
  /** A change to a whole registered model, or to one version, allowed to this caller. */
  const mayChange = (req: FastifyRequest, f: Fields, version?: string) => registry.checkMayChange(jobBy(req), name(f), version);

  // Registered models.
  route('POST', '/registered-models/create', async (f, req) => ({
    registered_model: await registry.create(readModelName(f), { description: optString(f, 'description'), tags: tagsOf(f) }, createdBy(req)),
  }));
  route('GET', '/registered-models/get', async (f) => ({ registered_model: await registry.get(name(f)) }));
  route('POST', '/registered-models/rename', async (f, req) => {
    await mayChange(req, f);
    return { registered_model: await registry.rename(name(f), readModelName(f, 'new_name')) };
  });
  route('PATCH', '/registered-models/update', async (f, req) => {
    await mayChange(req, f);
    return { registered_model: await registry.update(name(f), optString(f, 'description')) };
  });
  route('DELETE', '/registered-models/delete', async (f, req) => {
    await mayChange(req, f);
    await registry.delete(name(f));
    return EMPTY;
  });
  route(['GET', 'POST'], '/registered-models/search', async (f) =>
    registry.search({ filter: optString(f, 'filter'), maxResults: optInt64(f, 'max_results'), orderBy: optStringList(f, 'order_by'), pageToken: optString(f, 'page_token') }),
  );
  route(['GET', 'POST'], '/registered-models/get-latest-versions', async (f) => {
    const found = await registry.latestVersions(name(f), optStringList(f, 'stages') ?? []);
    return found.length ? { model_versions: found } : EMPTY;
  });
  route('POST', '/registered-models/set-tag', async (f, req) => {
    const t = tagOf(f);
    await mayChange(req, f);
    await registry.setTag(name(f), t.key, t.value);
    return EMPTY;
  });
  route('DELETE', '/registered-models/delete-tag', async (f, req) => {
    await mayChange(req, f);
    await registry.deleteTag(name(f), reqString(f, 'key'));
    return EMPTY;
  });
  route('POST', '/registered-models/alias', async (f, req) => {
    await mayChange(req, f);
    await registry.setAlias(name(f), reqString(f, 'alias'), readVersion(f));
    return EMPTY;
  });
  route('DELETE', '/registered-models/alias', async (f, req) => {
    await mayChange(req, f);
    await registry.deleteAlias(name(f), reqString(f, 'alias'));
    return EMPTY;
  });
  route('GET', '/registered-models/alias', async (f) => ({ model_version: await registry.byAlias(name(f), reqString(f, 'alias')) }));

  // Model versions.
  route('POST', '/model-versions/create', async (f, req) => ({
    model_version: await versions.create(scopeOf(req), createdBy(req), {
      name: name(f),
      source: reqString(f, 'source'),
      runId: optString(f, 'run_id') || undefined,
      modelId: optString(f, 'model_id') || undefined,
      description: optString(f, 'description'),
      tags: tagsOf(f),
    }),
  }));
  route('GET', '/model-versions/get', async (f) => ({ model_version: await versions.get(name(f), readVersion(f)) }));
  route('PATCH', '/model-versions/update', async (f, req) => {
    await mayChange(req, f, readVersion(f));
    return { model_version: await versions.update(name(f), readVersion(f), optString(f, 'description')) };
  });
  route('DELETE', '/model-versions/delete', async (f, req) => {
    await mayChange(req, f, readVersion(f));
    await versions.delete(name(f), readVersion(f));
    return EMPTY;
  });
  route(['GET', 'POST'], '/model-versions/search', async (f) =>
    versions.search({ filter: optString(f, 'filter'), maxResults: optInt64(f, 'max_results'), orderBy: optStringList(f, 'order_by'), pageToken: optString(f, 'page_token') }),
  );
  route('GET', '/model-versions/get-download-uri', async (f) => ({ artifact_uri: await versions.downloadUri(name(f), readVersion(f)) }));
  route('POST', '/model-versions/set-tag', async (f, req) => {
    const t = tagOf(f);
    await mayChange(req, f, readVersion(f));
    await versions.setTag(name(f), readVersion(f), t.key, t.value);
    return EMPTY;
  });
  route('DELETE', '/model-versions/delete-tag', async (f, req) => {
    await mayChange(req, f, readVersion(f));
    await versions.deleteTag(name(f), readVersion(f), reqString(f, 'key'));
    return EMPTY;
  });
  route('POST', '/model-versions/transition-stage', async (f, req) => {
    // Archiving the other versions changes them too: then the whole model must be the job's.
    await mayChange(req, f, truthy(f.archive_existing_versions) ? undefined : readVersion(f));
    return { model_version: await versions.transition(name(f), readVersion(f), reqString(f, 'stage'), truthy(f.archive_existing_versions)) };
  });
}
