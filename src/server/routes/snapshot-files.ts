import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../protocol/errors.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import { API } from '../../protocol/routes.ts';
import { Sha256 } from '../../protocol/snapshot.ts';
import type { Services } from '../services/index.ts';
import { contentTypeOf } from '../services/tracking/content-types.ts';
import { untrustedContent } from './jobs.ts';
import { parse } from './validate.ts';

const SNAPSHOT = `${API}/workspaces/:ws/snapshots/:id`;
type P = { ws: string; id: string };

/** A snapshot's files for people (the studio's code view): its list of files, and one file's content. */
export function snapshotFileRoutes(app: FastifyInstance, s: Services): void {
  app.get<{ Params: P }>(`${SNAPSHOT}/manifest`, async (req) => {
    const id = parse(Sha256, req.params.id, 'snapshot id');
    const { entries } = await s.snapshots.manifest(id);
    return { id, entries: entries.map((e) => ({ path: e.path, size: e.size, mode: e.mode, ...(e.link !== undefined ? { link: e.link } : {}) })) };
  });

  // `max_bytes` gives the first bytes of a big file (x-cairn-truncated says so); without it the whole
  // file, which a snapshot's own limits bound.
  app.get<{ Params: P; Querystring: { path?: string; max_bytes?: string } }>(`${SNAPSHOT}/files`, async (req, reply) => {
    const id = parse(Sha256, req.params.id, 'snapshot id');
    const path = checkRelativePath(req.query.path ?? '', 'file path');
    const max = req.query.max_bytes === undefined ? undefined : Number(req.query.max_bytes);
    if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) throw new CairnError('ValidationError', `max_bytes: expected a positive integer, got '${req.query.max_bytes}'`);
    const entry = (await s.snapshots.entries(id)).find((e) => e.path === path);
    if (!entry) throw new CairnError('NotFound', `snapshot ${id.slice(0, 12)} has no file '${path}'`);
    if (entry.link !== undefined) throw new CairnError('ValidationError', `'${path}' is a symbolic link to '${entry.link}', not a file`);
    await s.blobs.check(entry.sha256, { size: entry.size, what: `file '${path}' of snapshot ${id.slice(0, 12)}` });
    reply.header('content-type', contentTypeOf(path));
    untrustedContent(reply);
    if (max !== undefined && max < entry.size) {
      reply.header('x-cairn-truncated', 'true');
      return reply.send(s.blobs.streamRange(entry.sha256, max));
    }
    reply.header('content-length', entry.size);
    return reply.send(s.blobs.stream(entry.sha256));
  });
}
