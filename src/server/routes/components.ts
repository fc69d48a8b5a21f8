import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateComponentRequest, ListComponentsQuery } from '../../protocol/component.ts';
import { API } from '../../protocol/routes.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';
import { BODY_LIMITS } from '../body.ts';
import { createdBy } from '../auth.ts';

const WS = `${API}/workspaces/:ws`;
const COMPONENT = `${WS}/components/:name`;
type P = { ws: string; name: string };

const Which = z.object({ version: z.string().min(1).optional(), label: z.string().min(1).optional() });

/** `az ml component` over HTTP: create, show (a version or latest), list, archive and restore. */
export function componentRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Params: { ws: string } }>(`${WS}/components`, { bodyLimit: BODY_LIMITS.job }, async (req, reply) => {
    const component = await s.components.create(req.params.ws, parse(CreateComponentRequest, req.body, 'component'), createdBy(req));
    reply.code(201);
    return component;
  });

  app.get<{ Params: { ws: string }; Querystring: Record<string, string> }>(`${WS}/components`, async (req) => s.components.list(req.params.ws, parse(ListComponentsQuery, req.query)));

  app.get<{ Params: P; Querystring: Record<string, string> }>(COMPONENT, async (req) => {
    const q = parse(Which, req.query);
    return s.components.get(req.params.ws, req.params.name, q.version, q.label);
  });

  for (const action of ['archive', 'restore'] as const) {
    app.post<{ Params: P; Querystring: Record<string, string> }>(`${COMPONENT}/${action}`, async (req) =>
      s.components.setArchived(req.params.ws, req.params.name, parse(Which, req.query).version, action === 'archive'),
    );
  }
}
