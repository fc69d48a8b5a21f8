import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AttemptReport, LogBatch, OutputsReport, RegisterRequest } from '../../protocol/agent.ts';
import { CairnError } from '../../protocol/errors.ts';
import { AGENT_API } from '../../protocol/routes.ts';
import { Sha256, parseMissingBlobs } from '../../protocol/snapshot.ts';
import { bearerOf } from '../auth.ts';
import type { Services } from '../services/index.ts';
import { parse, parseOr400 } from './validate.ts';

type A = { Params: { id: string } };

/** Routes only agents call; every one is authenticated as a node by its token. */
export function agentRoutes(app: FastifyInstance, s: Services): void {
  const node = (req: FastifyRequest, name?: string) => s.agents.authenticate(name, bearerOf(req.headers.authorization));

  app.post(`${AGENT_API}/register`, async (req) => {
    const body = parse(RegisterRequest, req.body);
    return s.agents.register(await node(req, body.node), body);
  });

  app.get<{ Params: { node: string }; Querystring: { wait_ms?: string } }>(`${AGENT_API}/nodes/:node/work`, async (req) => {
    const n = await node(req, req.params.node);
    const abort = new AbortController();
    req.raw.on('close', () => abort.abort());
    return s.agents.work(n, Number(req.query.wait_ms ?? 0) || 0, abort.signal);
  });

  app.post<A>(`${AGENT_API}/attempts/:id/report`, async (req) => s.agents.report(await node(req), req.params.id, parse(AttemptReport, req.body)));
  app.post<A>(`${AGENT_API}/attempts/:id/logs`, async (req) => s.agents.logs(await node(req), req.params.id, parse(LogBatch, req.body)));
  app.post<A>(`${AGENT_API}/attempts/:id/outputs`, async (req) => s.agents.outputs(await node(req), req.params.id, parse(OutputsReport, req.body)));

  app.get<A>(`${AGENT_API}/snapshots/:id`, async (req) => {
    await node(req);
    return s.snapshots.manifest(parse(Sha256, req.params.id, 'snapshot id'));
  });

  app.get<{ Params: { sha: string } }>(`${AGENT_API}/blobs/:sha`, async (req, reply) => {
    await node(req);
    const sha = parse(Sha256, req.params.sha, 'blob name');
    if (!s.blobs.has(sha)) throw new CairnError('NotFound', `blob ${sha} does not exist`);
    reply.header('content-type', 'application/octet-stream');
    return reply.send(s.blobs.read(sha));
  });

  app.post(`${AGENT_API}/blobs/missing`, async (req) => {
    await node(req);
    return { missing: s.blobs.missing(parseOr400(parseMissingBlobs, req.body).sha256) };
  });

  app.put<{ Params: { sha: string } }>(`${AGENT_API}/blobs/:sha`, async (req, reply) => {
    await node(req);
    if (!Buffer.isBuffer(req.body)) throw new CairnError('BadRequest', 'blob uploads must be application/octet-stream');
    s.blobs.put(parse(Sha256, req.params.sha, 'blob name'), req.body);
    reply.code(204);
  });
}
