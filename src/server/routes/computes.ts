import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../protocol/errors.ts';
import { API } from '../../protocol/routes.ts';
import type { ComputeRow } from '../../store/computes.ts';
import type { Services } from '../services/index.ts';

/** Read-only for now: `local` always exists; creating and attaching computes comes with their backends. */
export function computeRoutes(app: FastifyInstance, s: Services): void {
  const view = async (c: ComputeRow) => {
    const nodes = await s.store.nodes.forCompute(c.workspace, c.name);
    return {
      name: c.name,
      type: c.type,
      provisioning_state: c.provisioning_state,
      created_on: c.created_at,
      ...JSON.parse(c.spec),
      nodes: nodes.map((n) => ({ name: n.name, state: n.state, slots: n.slots, agent_version: n.agent_version, ...JSON.parse(n.shape) })),
    };
  };
  app.get<{ Params: { ws: string } }>(`${API}/workspaces/:ws/computes`, async (req) => Promise.all((await s.store.resources.listComputes(req.params.ws)).map(view)));
  app.get<{ Params: { ws: string; name: string } }>(`${API}/workspaces/:ws/computes/:name`, async (req) => {
    const c = await s.store.resources.getCompute(req.params.ws, req.params.name.replace(/^azureml:/, ''));
    if (!c) throw new CairnError('NotFound', `compute '${req.params.name}' does not exist in workspace '${req.params.ws}'`);
    return view(c);
  });
}
