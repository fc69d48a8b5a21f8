import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { CairnError, type ErrorBody } from '../protocol/errors.ts';
import { API } from '../protocol/routes.ts';
import { MlflowError } from '../protocol/mlflow/errors.ts';
import { MLFLOW_PREFIXES, policyOf } from './access.ts';
import { type Authenticator, bearerOf, cookieOf, permitted, SESSION_COOKIE, STUDIO_HEADER, type StudioSessions } from './auth.ts';
import { sessionRoutes } from './routes/session.ts';
import { isApiPath, studioRoutes } from './routes/studio.ts';
import { BodyError, DEFAULT_BODY_LIMIT, lingerAfterRefusal, nulInValues, parseJsonBody } from './body.ts';
import type { Services } from './services/index.ts';
import { jobRoutes } from './routes/jobs.ts';
import { snapshotRoutes } from './routes/snapshots.ts';
import { snapshotFileRoutes } from './routes/snapshot-files.ts';
import { agentRoutes } from './routes/agent.ts';
import { computeRoutes } from './routes/computes.ts';
import { environmentRoutes } from './routes/environments.ts';
import { componentRoutes } from './routes/components.ts';
import { dataRoutes } from './routes/data.ts';
import { jobTrackingRoutes } from './routes/job-tracking.ts';
import { mlflowRoutes } from './routes/mlflow/index.ts';
import { fileRoutes } from './routes/files.ts';

export interface AppOptions {
  services: Services;
  auth: Authenticator;
  sessions: StudioSessions;
  /** The built studio's folder (index.html and assets). */
  studioDir: string;
  logLevel: string;
  /** What an admin sees of the server in /health (pid, database, data folder). */
  info: () => Record<string, unknown>;
}

const isMlflowUrl = (url: string) => MLFLOW_PREFIXES.some((p) => url.startsWith(`${p}/mlflow`));

/**
 * The HTTP face of the server: one error body everywhere; every route has a row in the access
 * table (or the app refuses to build), and the caller is authenticated against that row in
 * onRequest, before any body is read.
 */
export function buildApp(o: AppOptions): FastifyInstance {
  // Agents long-poll all the time: logging every request would drown what matters.
  const app = Fastify({ logger: { level: o.logLevel }, bodyLimit: DEFAULT_BODY_LIMIT, logController: new LogController({ disableRequestLogging: true }) });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err instanceof BodyError ? new CairnError('BadRequest', err.message) : (err as Error), undefined);
    }
  });
  // Uploads stream to disk as they arrive: a route that takes bytes reads the stream itself.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.setErrorHandler((err: any, req, reply) => {
    if (err instanceof MlflowError) return reply.code(err.status).send(err.toBody());
    let e: CairnError;
    if (err instanceof CairnError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new CairnError('PayloadTooLarge', `request body is over this route's limit of ${req.routeOptions.bodyLimit} bytes`);
    else if (err.statusCode && err.statusCode < 500) e = new CairnError('BadRequest', err.message.replace(/^Body /, 'request body '));
    else {
      req.log.error({ err }, 'request failed');
      e = new CairnError('Internal', `internal error: ${err.message}`);
    }
    const body: ErrorBody = e.toBody();
    if (e.status === 413) lingerAfterRefusal(req.raw, reply);
    reply.code(e.status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    // MLflow's clients read MLflow's body: an unknown MLflow URL answers as MLflow's own 404 does.
    if (isMlflowUrl(req.url)) return reply.code(404).send(new MlflowError('ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${path}`).toBody());
    reply.code(404).send(new CairnError('NotFound', `no route ${req.method} ${path}`).toBody());
  });

  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) {
      if (!policyOf(m, r.url)) throw new Error(`route ${m} ${r.url} has no row in the access table (src/server/access.ts)`);
    }
  });

  app.addHook('onRequest', async (req) => {
    // The studio's catch-all `/*` matching an API URL means no API route did.
    const url = req.routeOptions.url === '/*' && isApiPath(req.url) ? undefined : req.routeOptions.url;
    const bearer = bearerOf(req.headers.authorization);
    const family = isMlflowUrl(url ?? req.url) ? 'mlflow' : 'cairn';
    if (!url) {
      // No route matched: a caller still proves who it is before learning even that.
      if (!o.auth.open && !bearer) throw new CairnError('Unauthorized', family === 'mlflow' ? 'this server needs a token: set MLFLOW_TRACKING_TOKEN' : 'this server needs a token: set CAIRN_TOKEN');
      return;
    }
    const policy = policyOf(req.method, url)!;
    const principal = await o.auth.principal(policy, bearer, family, bearer ? undefined : cookieOf(req.headers.cookie, SESSION_COOKIE));
    // A cookie rides along on any request the browser makes, another site's too: writes need a header only our pages send.
    if (principal?.kind === 'admin' && principal.name === 'studio-user' && req.method !== 'GET' && req.method !== 'HEAD' && req.headers[STUDIO_HEADER] !== '1') {
      throw new CairnError('Forbidden', `a studio session may change things only from the studio (the ${STUDIO_HEADER} header is missing)`);
    }
    if (principal) {
      const ok = permitted(policy, principal, req.params as Record<string, string>);
      if (ok !== true) throw new CairnError('Forbidden', ok);
    }
    req.principal = principal;
    const bad = nulInValues(req.params) ?? nulInValues(req.query);
    if (bad) throw new CairnError('BadRequest', `'${bad}' in the URL holds a NUL character (%00)`);
  });

  // Unauthenticated, it says only that the server is up; an admin sees where it runs.
  app.get(`${API}/health`, async (req) => (req.principal?.kind === 'admin' ? { status: 'ok', ...o.info() } : { status: 'ok' }));
  jobRoutes(app, o.services);
  snapshotRoutes(app, o.services);
  snapshotFileRoutes(app, o.services);
  computeRoutes(app, o.services);
  environmentRoutes(app, o.services);
  componentRoutes(app, o.services);
  dataRoutes(app, o.services);
  fileRoutes(app);
  agentRoutes(app, o.services);
  jobTrackingRoutes(app, o.services);
  mlflowRoutes(app, o.services);
  sessionRoutes(app, o.auth, o.sessions);
  studioRoutes(app, o.studioDir);
  return app;
}
