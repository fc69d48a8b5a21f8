import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import { asFields, type Fields } from '../../../protocol/mlflow/fields.ts';
import type { Services } from '../../services/index.ts';
import type { Scope } from '../../services/tracking/runs.ts';
import { mlflowErrorHandling } from './errors.ts';
import { trackingRoutes } from './tracking.ts';
import { artifactRoutes } from './artifacts.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the caller is a job, through its job token. */
    jobScope?: string;
    rawBody?: string;
  }
}

/** Where the MLflow client looks: `/api/2.0/...`; MLflow's UI uses `/ajax-api/2.0/...`. */
export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow', '/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

export const scopeOf = (req: FastifyRequest): Scope => ({ jobId: req.jobScope });

/** GET fields come as query strings, POST fields as a JSON body. */
export function fieldsOf(req: FastifyRequest): Fields {
  if (req.method === 'GET') return asFields(req.query);
  const type = String(req.headers['content-type'] ?? '');
  if (type && !type.startsWith('application/json')) throw invalidParam("Content-Type must be one of ['application/json']");
  return asFields(req.body);
}

export function mlflowRoutes(app: FastifyInstance, s: Services): void {
  for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
    app.register(
      async (scope) => {
        mlflowErrorHandling(scope);
        scope.removeAllContentTypeParsers();
        // MLflow reads a body that does not parse as `{}` (and then names the missing field).
        scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 ** 2 }, (req, body, done) => {
          req.rawBody = body as string;
          try {
            done(null, body ? JSON.parse(body as string) : {});
          } catch {
            done(null, {});
          }
        });
        scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
        trackingRoutes(scope, s);
      },
      { prefix: `${prefix}/mlflow` },
    );
    app.register(
      async (scope) => {
        mlflowErrorHandling(scope);
        // Artifact bodies are raw bytes of any type (a .json file is not a request): stream them all.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
        artifactRoutes(scope, s);
      },
      { prefix: `${prefix}/mlflow-artifacts` },
    );
  }
}
