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
  // Most code files are small: read those into memory (bounded by their announced size) and write
  // them in one go, which is several times faster than a file stream for ten thousand of them.
  if (declared <= SMALL_BLOB) return s.blobs.put(sha, await readAll(body, declared));
  await s.blobs.putStream(body, { expect: sha, maxBytes });
}

const SMALL_BLOB = 1024 ** 2;

async function readAll(body: Readable, declared: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > declared) throw new CairnError('BadRequest', `the upload sent more than the ${declared} bytes it announced`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, size);
}
