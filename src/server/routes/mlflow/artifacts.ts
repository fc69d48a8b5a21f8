import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { MlflowError, missingParam } from '../../../protocol/mlflow/errors.ts';
import type { Services } from '../../services/index.ts';
import { contentTypeOf } from '../../services/tracking/content-types.ts';
import { scopeOf } from './request.ts';

/** MLflow's artifact proxy (`mlflow-artifacts:` URIs resolve here). */
export function artifactRoutes(app: FastifyInstance, s: Services): void {
  const a = s.tracking.artifacts;
  type Wild = { Params: { '*': string } };
  app.get<{ Querystring: { path?: string } }>('/artifacts', async (req) => {
    if (!req.query.path) throw missingParam('path');
    const files = await a.list(scopeOf(req), req.query.path);
    return files ? { files } : {};
  });
  app.put<Wild>('/artifacts/*', async (req) => {
    // Without a Content-Type no parser ran, and the bytes are still in the request stream.
    await a.put(scopeOf(req), req.params['*'], (req.body as Readable | undefined) ?? req.raw, s.limits.maxBlobBytes);
    return {};
  });
  app.get<Wild>('/artifacts/*', async (req, reply) => {
    const { row, stream } = await a.get(scopeOf(req), req.params['*']);
    reply.header('content-type', contentTypeOf(row.path));
    reply.header('content-disposition', `attachment; filename=${basename(row.path)}`);
    reply.header('content-length', Number(row.size));
    return reply.send(stream);
  });
  app.delete<Wild>('/artifacts/*', async (req) => {
    await a.delete(scopeOf(req), req.params['*']);
    return {};
  });
  // Multipart uploads and presigned downloads are for cloud stores; the client falls back to a plain PUT.
  const notImplemented = async () => {
    throw new MlflowError('NOT_IMPLEMENTED', 'multipart upload and presigned URLs are not offered by this server; use a plain PUT');
  };
  app.post('/mpu/*', notImplemented);
  app.get('/presigned/*', notImplemented);
}
