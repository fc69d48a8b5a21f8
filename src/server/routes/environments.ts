import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EnvironmentSpec, ListEnvironmentsQuery } from '../../protocol/environment.ts';
import { API } from '../../protocol/routes.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';
import { BODY_LIMITS } from '../body.ts';
import { createdBy } from '../auth.ts';

const WS = `${API}/workspaces/:ws`;
const ENV = `${WS}/environments/:name`;
type P = { ws: string; name: string };

const Which = z.object({ version: z.string().min(1).optional(), label: z.string().min(1).optional() });

/** `az ml environment` over HTTP: create, show (a version or latest), list, archive and restore. */
export function environmentRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Params: { ws: string } }>(`${WS}/environments`, { bodyLimit: BODY_LIMITS.job }, async (req, reply) => {
    const env = await s.environments.create(req.params.ws, parse(EnvironmentSpec, req.body, 'environment'), createdBy(req));
    reply.code(201);
    return env;
  });

  app.get<{ Params: { ws: string }; Querystring: Record<string, string> }>(`${WS}/environments`, async (req) => s.environments.list(req.params.ws, parse(ListEnvironmentsQuery, req.query)));

  app.get<{ Params: P; Querystring: Record<string, string> }>(ENV, async (req) => {
    const q = parse(Which, req.query);
    return s.environments.get(req.params.ws, req.params.name, q.version, q.label);
  });

  for (const action of ['archive', 'restore'] as const) {
    app.post<{ Params: P; Querystring: Record<string, string> }>(`${ENV}/${action}`, async (req) =>
      s.environments.setArchived(req.params.ws, req.params.name, parse(Which, req.query).version, action === 'archive'),
    );
  }
}
