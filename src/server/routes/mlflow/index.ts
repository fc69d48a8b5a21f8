import type { FastifyInstance } from 'fastify';
import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { Services } from '../../services/index.ts';
import { mlflowErrorHandling } from './errors.ts';
import { trackingRoutes } from './tracking.ts';
import { artifactRoutes } from './artifacts.ts';
import { modelRoutes } from './models.ts';
import { registryRoutes } from './registry.ts';
import { modelServices } from '../../services/tracking/model-services.ts';
import { BODY_LIMITS, BodyError, checkJsonText, refuseNul } from '../../body.ts';

export function mlflowRoutes(app: FastifyInstance, s: Services): void {
  const models = modelServices(s);
  for (const prefix of ['/api/2.0', '/ajax-api/2.0']) {
    app.register(
      async (scope) => {
        mlflowErrorHandling(scope);
        scope.removeAllContentTypeParsers();
        // MLflow reads a body that does not parse as `{}` (and then names the missing field).
        scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMITS.mlflow }, (req, body, done) => {
          req.rawBody = body as string;
          let value: unknown;
          try {
            checkJsonText(body as string);
            value = body ? JSON.parse(body as string) : {};
          } catch (err) {
            if (err instanceof BodyError) return done(invalidParam(`Invalid request body: ${err.message}`), undefined);
            return done(null, {});
          }
          try {
            refuseNul(body as string, value);
          } catch (err) {
            return done(invalidParam(`Invalid value: ${(err as Error).message}`), undefined);
          }
          done(null, value);
        });
        scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
        trackingRoutes(scope, s);
        modelRoutes(scope, s, models);
        registryRoutes(scope, models);
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
