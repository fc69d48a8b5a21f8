import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../protocol/errors.ts';
import { API } from '../../protocol/routes.ts';
import { Sha256, parseMissingBlobs, parseSnapshotRequest } from '../../protocol/snapshot.ts';
import type { Services } from '../services/index.ts';
import { parse, parseOr400 } from './validate.ts';
import { BODY_LIMITS } from '../body.ts';
import { putBlob } from './blob-upload.ts';

export function snapshotRoutes(app: FastifyInstance, s: Services): void {
  app.post(`${API}/workspaces/:ws/blobs/missing`, { bodyLimit: BODY_LIMITS.missingBlobs }, async (req) => ({ missing: s.blobs.missing(parseOr400(parseMissingBlobs, req.body).sha256) }));

  // A file of a snapshot (or an environment's build folder): no bigger than a whole snapshot may be.
  app.put<{ Params: { ws: string; sha: string } }>(`${API}/workspaces/:ws/blobs/:sha`, async (req, reply) => {
    await putBlob(s, parse(Sha256, req.params.sha, 'blob name'), req, Math.min(s.limits.maxBlobBytes, s.limits.maxSnapshotBytes));
    reply.code(204);
  });

  app.post<{ Params: { ws: string } }>(`${API}/workspaces/:ws/snapshots`, { bodyLimit: BODY_LIMITS.snapshot }, async (req, reply) => {
    const body = parseOr400(parseSnapshotRequest, req.body);
    const snap = 'base' in body ? await s.snapshots.createFromDelta(req.params.ws, body) : await s.snapshots.create(req.params.ws, body);
    reply.code(201);
    return snap;
  });

  app.get<{ Params: { ws: string; id: string } }>(`${API}/workspaces/:ws/snapshots/:id`, async (req) => {
    const row = await s.store.resources.getSnapshot(parse(Sha256, req.params.id, 'snapshot id'));
    if (!row) throw new CairnError('NotFound', `snapshot ${req.params.id} does not exist`);
    return { id: row.id, file_count: row.file_count, total_size: Number(row.total_size), created_at: row.created_at };
  });
}
