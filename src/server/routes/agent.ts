import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AttemptReport, BlobBatchRequest, LogBatch, OutputsReport, RegisterRequest, RuntimePart } from '../../protocol/agent.ts';
import { CairnError } from '../../protocol/errors.ts';
import { AGENT_API } from '../../protocol/routes.ts';
import { Sha256, parseMissingBlobs } from '../../protocol/snapshot.ts';
import type { NodeRow } from '../../store/nodes.ts';
import { BODY_LIMITS } from '../body.ts';
import type { Services } from '../services/index.ts';
import { putBlob } from './blob-upload.ts';
import { parse, parseOr400 } from './validate.ts';

type A = { Params: { id: string } };

/** The node the request was authenticated as (onRequest did it, from the access table's `node` policy). */
function nodeOf(req: FastifyRequest): NodeRow {
  const p = req.principal;
  if (p?.kind !== 'node') throw new CairnError('Unauthorized', 'agent requests need the node token');
  return p.node;
}

/** Routes only agents call; every one is authenticated as a node by its token before its body is read. */
export function agentRoutes(app: FastifyInstance, s: Services): void {
  app.post(`${AGENT_API}/register`, async (req) => s.agents.register(nodeOf(req), parse(RegisterRequest, req.body)));

  app.get<{ Params: { node: string }; Querystring: { wait_ms?: string } }>(`${AGENT_API}/nodes/:node/work`, async (req) => {
    const n = nodeOf(req);
    if (n.name !== req.params.node) throw new CairnError('Forbidden', `this token belongs to node '${n.name}', not '${req.params.node}'`);
    const abort = new AbortController();
    req.raw.on('close', () => abort.abort());
    return s.agents.work(n, Number(req.query.wait_ms ?? 0) || 0, abort.signal);
  });

  app.post<A>(`${AGENT_API}/attempts/:id/report`, async (req) => s.agents.report(nodeOf(req), req.params.id, parse(AttemptReport, req.body)));
  app.post<A>(`${AGENT_API}/attempts/:id/logs`, { bodyLimit: BODY_LIMITS.logs }, async (req) => s.agents.logs(nodeOf(req), req.params.id, parse(LogBatch, req.body)));
  app.post<A>(`${AGENT_API}/attempts/:id/outputs`, { bodyLimit: BODY_LIMITS.outputs }, async (req) => s.agents.outputs(nodeOf(req), req.params.id, parse(OutputsReport, req.body)));

  app.get<A>(`${AGENT_API}/snapshots/:id`, async (req) => s.snapshots.manifest(parse(Sha256, req.params.id, 'snapshot id')));

  app.get<{ Params: { sha: string } }>(`${AGENT_API}/blobs/:sha`, async (req, reply) => {
    const sha = parse(Sha256, req.params.sha, 'blob name');
    if (!s.blobs.has(sha)) throw new CairnError('NotFound', `blob ${sha} does not exist`);
    const size = await s.blobs.check(sha);
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', size);
    return reply.send(s.blobs.stream(sha));
  });

  // Many blobs in one answer, back to back in the order asked (the node knows each size from its
  // manifest): one request per file of a 10,000-file input cost the server more than the bytes.
  // Every blob is checked before the first byte goes, so a damaged one is a clean error, not a cut.
  app.post(`${AGENT_API}/blobs/batch`, { bodyLimit: BLOB_BATCH_BODY }, async (req, reply) => {
    const { sha256 } = parse(BlobBatchRequest, req.body);
    let total = 0;
    for (const sha of sha256) {
      if (!s.blobs.has(sha)) throw new CairnError('NotFound', `blob ${sha} does not exist`);
      total += await s.blobs.check(sha);
    }
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', total);
    return reply.send(Readable.from(concatBlobs(s, sha256)));
  });

  app.post(`${AGENT_API}/blobs/missing`, { bodyLimit: BODY_LIMITS.missingBlobs }, async (req) => ({ missing: s.blobs.missing(parseOr400(parseMissingBlobs, req.body).sha256) }));

  // A node's own copy of the agent (Slurm nodes that do not see the work folder): the script that
  // fetches it checks the sha256 it was given at submission against the answer's.
  app.get<{ Params: { part: string } }>(`${AGENT_API}/runtime/:part`, async (req, reply) => {
    nodeOf(req);
    const part = parse(RuntimePart, req.params.part, 'runtime part');
    reply.header('content-type', 'application/octet-stream');
    if (part === 'node') {
      const node = await s.runtime.nodeRuntime();
      reply.header('x-cairn-sha256', node.sha256).header('content-length', statSync(node.path).size);
      return reply.send(createReadStream(node.path));
    }
    const { data, sha256 } = part === 'agent' ? await s.runtime.agent().then((a) => ({ data: a.code, sha256: a.sha256 })) : await s.runtime.pythonTar();
    reply.header('x-cairn-sha256', sha256);
    return reply.send(data);
  });

  app.put<{ Params: { sha: string } }>(`${AGENT_API}/blobs/:sha`, async (req, reply) => {
    await putBlob(s, parse(Sha256, req.params.sha, 'blob name'), req, s.limits.maxBlobBytes);
    reply.code(204);
  });
}

/** A batch request's body: at most 1,000 hashes (BlobBatchRequest) of 67 bytes each as JSON. */
const BLOB_BATCH_BODY = 128 * 1024;

/**
 * The blobs' bytes in order, read synchronously into MiB buffers that small blobs share, each piece
 * sent once a blob ends with 128 KiB gathered (or the buffer is full): an fs stream per blob cost
 * more in thread-pool round trips than the reading (a 10,000-file input was 130 MB/s that way), a
 * buffer per blob cost a MiB and a write for a file of a few bytes (8x slower for 1 KB files), and
 * this much from the page cache blocks the event loop for well under a millisecond.
 */
function* concatBlobs(s: Services, shas: string[]): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(CHUNK);
  let start = 0;
  let at = 0;
  for (const sha of shas) {
    const fd = openSync(s.blobs.pathOf(sha), 'r');
    try {
      for (;;) {
        if (at === CHUNK) {
          yield buf.subarray(start);
          buf = Buffer.allocUnsafe(CHUNK);
          start = at = 0;
        }
        const n = readSync(fd, buf, at, CHUNK - at, null);
        if (n === 0) break;
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    if (at - start >= PIECE) {
      yield buf.subarray(start, at);
      start = at;
    }
  }
  if (at > start) yield buf.subarray(start, at);
}
const CHUNK = 1 << 20;
const PIECE = 128 * 1024;
