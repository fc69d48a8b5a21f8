import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ComputeAction, CreateComputeRequest, UpdateComputeRequest } from '../../protocol/compute.ts';
import { API } from '../../protocol/routes.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';

const WS = `${API}/workspaces/:ws`;
const COMPUTE = `${WS}/computes/:name`;
type P = { ws: string; name: string };

const RemoveQuery = z.object({ mode: z.enum(['delete', 'detach']).default('delete'), force: z.enum(['true', 'false']).default('false') });
const ActionQuery = z.object({ force: z.enum(['true', 'false']).default('false') });

/** `az ml compute` over HTTP: create/attach, show, list, update, delete/detach, start/stop/restart, nodes and sizes. */
export function computeRoutes(app: FastifyInstance, s: Services): void {
  app.get<{ Params: { ws: string }; Querystring: { type?: string } }>(`${WS}/computes`, async (req) => s.computes.list(req.params.ws, req.query.type));

  app.post<{ Params: { ws: string } }>(`${WS}/computes`, async (req, reply) => {
    const body = parse(CreateComputeRequest, req.body);
    const view = await s.computes.create(req.params.ws, body);
    reply.code(201);
    return view;
  });

  app.get<{ Params: P }>(COMPUTE, async (req) => s.computes.get(req.params.ws, req.params.name, { live: true }));

  app.patch<{ Params: P }>(COMPUTE, async (req) => s.computes.update(req.params.ws, req.params.name, parse(UpdateComputeRequest, req.body).patch));

  app.delete<{ Params: P; Querystring: Record<string, string> }>(COMPUTE, async (req, reply) => {
    const q = parse(RemoveQuery, req.query);
    const view = await s.computes.remove(req.params.ws, req.params.name, q.mode, q.force === 'true');
    reply.code(202);
    return view;
  });

  app.post<{ Params: P & { action: string }; Querystring: Record<string, string> }>(`${COMPUTE}/:action`, async (req, reply) => {
    const action = parse(ComputeAction, req.params.action);
    const view = await s.computes.action(req.params.ws, req.params.name, action, parse(ActionQuery, req.query).force === 'true');
    reply.code(202);
    return view;
  });

  app.get<{ Params: P }>(`${COMPUTE}/nodes`, async (req) => s.computes.nodes(req.params.ws, req.params.name));

  app.post<{ Params: P & { node: string } }>(`${COMPUTE}/nodes/:node/preempt`, async (req, reply) => {
    const view = await s.computes.preemptNode(req.params.ws, req.params.name, req.params.node);
    reply.code(202);
    return view;
  });

  app.get<{ Params: { ws: string }; Querystring: { type?: string; provider?: string } }>(`${WS}/compute-sizes`, async (req) => s.computes.sizes(req.query.type, req.query.provider));
}
