import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { CairnError, type ErrorBody } from '../protocol/errors.ts';
import { AGENT_API, API, AGENT_VERSION } from '../protocol/routes.ts';
import { bearerOf, matchesUserToken } from './auth.ts';
import type { JobTokens } from './auth.ts';
import type { Services } from './services/index.ts';
import { jobRoutes } from './routes/jobs.ts';
import { snapshotRoutes } from './routes/snapshots.ts';
import { agentRoutes } from './routes/agent.ts';
import { computeRoutes } from './routes/computes.ts';
import { environmentRoutes } from './routes/environments.ts';
import { jobTrackingRoutes } from './routes/job-tracking.ts';
import { mlflowRoutes, MLFLOW_PREFIXES } from './routes/mlflow/index.ts';
import { MlflowError } from '../protocol/mlflow/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: string;
  }
}

export interface AppOptions {
  services: Services;
  authTokens: string[];
  jobTokens: JobTokens;
  logLevel: string;
  info: () => Record<string, unknown>;
}

const BODY_LIMIT = 1024 ** 3;

/** The HTTP face of the server: one error body everywhere, auth before any route runs. */
export function buildApp(o: AppOptions): FastifyInstance {
  // Agents long-poll all the time: logging every request would drown what matters.
  const app = Fastify({ logger: { level: o.logLevel }, bodyLimit: BODY_LIMIT, logController: new LogController({ disableRequestLogging: true }) });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof MlflowError) return reply.code(err.status).send(err.toBody());
    let e: CairnError;
    if (err instanceof CairnError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new CairnError('PayloadTooLarge', 'request body is too large');
    else if (err.statusCode && err.statusCode < 500) e = new CairnError('BadRequest', err.message.replace(/^Body /, 'request body '));
    else {
      req.log.error({ err }, 'request failed');
      e = new CairnError('Internal', `internal error: ${err.message}`);
    }
    const body: ErrorBody = e.toBody();
    reply.code(e.status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(new CairnError('NotFound', `no route ${req.method} ${req.url.split('?')[0]}`).toBody());
  });

  // Agent routes check their own node tokens. User routes need a user token when any is
  // configured (always off loopback); a job token may read only its own job, and on the MLflow
  // API it reads everything but writes only to its own runs (checked by the tracking services).
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith(AGENT_API) || req.url === `${API}/health`) return;
    const mlflow = MLFLOW_PREFIXES.some((p) => req.url.startsWith(p));
    const bearer = bearerOf(req.headers.authorization);
    const jobId = bearer ? o.jobTokens.verify(bearer) : null;
    if (mlflow && jobId) {
      req.jobScope = jobId;
      req.principal = `job:${jobId}`;
      return;
    }
    if (o.authTokens.length === 0) {
      req.principal = 'local-user';
      return;
    }
    if (bearer && matchesUserToken(bearer, o.authTokens)) {
      req.principal = 'token-user';
      return;
    }
    if (mlflow) throw new MlflowError('UNAUTHENTICATED', bearer ? 'the token is not valid for this server' : 'this server needs a token: set MLFLOW_TRACKING_TOKEN');
    if (jobId && req.method === 'GET') {
      const m = /\/jobs\/([^/?]+)/.exec(req.url);
      const job = m ? await o.services.store.jobs.getById(jobId) : undefined;
      if (job && m && decodeURIComponent(m[1]) === job.name) {
        req.principal = `job:${job.name}`;
        return;
      }
      throw new CairnError('Forbidden', 'a job token can only read its own job');
    }
    throw new CairnError('Unauthorized', bearer ? 'the token is not valid for this server' : 'this server needs a token: set CAIRN_TOKEN');
  });

  app.get(`${API}/health`, async () => ({ status: 'ok', version: AGENT_VERSION, ...o.info() }));
  jobRoutes(app, o.services);
  snapshotRoutes(app, o.services);
  computeRoutes(app, o.services);
  environmentRoutes(app, o.services);
  agentRoutes(app, o.services);
  jobTrackingRoutes(app, o.services);
  mlflowRoutes(app, o.services);
  return app;
}
