import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { CairnError } from '../../protocol/errors.ts';
import type { Services } from '../services/index.ts';

/**
 * A blob upload, streamed to disk as it arrives: refused before reading when it announces more
 * than `maxBytes`, stopped when it sends more, and kept only when its bytes hash to its name.
 */
export async function putBlob(s: Services, sha: string, req: FastifyRequest, maxBytes: number): Promise<void> {
  const body = req.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function') throw new CairnError('BadRequest', 'blob uploads must be application/octet-stream');
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new CairnError('PayloadTooLarge', `blob of ${declared} bytes is over the server's limit of ${maxBytes} bytes`);
  await s.blobs.putStream(body, { expect: sha, maxBytes });
}
