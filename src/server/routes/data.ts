import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateAssetRequest, ListAssetsQuery, type AssetKind } from '../../protocol/data.ts';
import { API } from '../../protocol/routes.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';
import { BODY_LIMITS } from '../body.ts';
import { createdBy } from '../auth.ts';
import { CairnError } from '../../protocol/errors.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import { untrustedContent } from './jobs.ts';

const WS = `${API}/workspaces/:ws`;
type P = { ws: string; name: string };
const Which = z.strictObject({ version: z.string().min(1).max(64).optional(), label: z.literal('latest').optional() });

/**
 * `az ml datastore`, `az ml data` and `az ml model` over HTTP. Data and models share one shape:
 * create (content already uploaded, or a path the server reads), show, list, archive, restore, and
 * the content's manifest for downloads.
 */
export function dataRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Params: { ws: string } }>(`${WS}/datastores`, async (req, reply) => {
    const d = await s.datastores.create(req.params.ws, req.body);
    reply.code(201);
    return d;
  });
  app.get<{ Params: { ws: string } }>(`${WS}/datastores`, async (req) => ({ datastores: await s.datastores.list(req.params.ws) }));
  app.get<{ Params: P }>(`${WS}/datastores/:name`, async (req) => s.datastores.show(req.params.ws, req.params.name));
  app.delete<{ Params: P }>(`${WS}/datastores/:name`, async (req, reply) => {
    await s.datastores.delete(req.params.ws, req.params.name);
    reply.code(204);
  });

  for (const [kind, plural] of [['data', 'data'], ['model', 'models']] as [AssetKind, string][]) {
    const one = `${WS}/${plural}/:name`;
    app.post<{ Params: { ws: string } }>(`${WS}/${plural}`, { bodyLimit: BODY_LIMITS.job }, async (req, reply) => {
      const { asset, created } = await s.assets.create(req.params.ws, kind, parse(CreateAssetRequest, req.body, kind === 'data' ? 'data asset' : 'model'), createdBy(req));
      reply.code(created ? 201 : 200);
      return asset;
    });
    app.get<{ Params: { ws: string }; Querystring: Record<string, string> }>(`${WS}/${plural}`, async (req) => {
      const q = parse(ListAssetsQuery, req.query);
      return { [plural]: await s.assets.list(req.params.ws, kind, { name: q.name, archived: q.archived, max: q.max_results }) };
    });
    app.get<{ Params: P; Querystring: Record<string, string> }>(one, async (req) => s.assets.get(req.params.ws, kind, req.params.name, parse(Which, req.query).version));
    app.get<{ Params: P; Querystring: Record<string, string> }>(`${one}/manifest`, async (req) => {
      const row = await s.assets.row(req.params.ws, kind, req.params.name, parse(Which, req.query).version);
      return { ...(await s.snapshots.manifest(row.snapshot_id)), ...(row.file ? { file: row.file } : {}) };
    });
    // One file of a version's content (downloads fetch the manifest, then each file).
    app.get<{ Params: P; Querystring: Record<string, string> }>(`${one}/content`, async (req, reply) => {
      const q = parse(Which.extend({ path: z.string().min(1).max(4096) }), req.query);
      const row = await s.assets.row(req.params.ws, kind, req.params.name, q.version);
      const path = checkRelativePath(q.path, 'path');
      const e = (await s.snapshots.entries(row.snapshot_id)).find((x) => x.path === path && x.link === undefined);
      if (!e) throw new CairnError('NotFound', `${kind === 'data' ? 'data asset' : 'model'} '${row.name}:${row.version}' has no file '${path}'`);
      await s.blobs.check(e.sha256, { size: e.size, what: `'${path}' of '${row.name}:${row.version}'` });
      reply.header('content-type', 'application/octet-stream');
      reply.header('content-length', e.size);
      untrustedContent(reply);
      return reply.send(s.blobs.stream(e.sha256));
    });
    for (const action of ['archive', 'restore'] as const) {
      app.post<{ Params: P; Querystring: Record<string, string> }>(`${one}/${action}`, async (req) => ({
        changed: await s.assets.setArchived(req.params.ws, kind, req.params.name, parse(Which, req.query).version, action === 'archive'),
      }));
    }
  }
}
