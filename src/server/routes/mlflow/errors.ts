import type { FastifyInstance } from 'fastify';
import { CairnError } from '../../../protocol/errors.ts';
import { MlflowError, type MlflowErrorCode } from '../../../protocol/mlflow/errors.ts';
import { lingerAfterRefusal } from '../../body.ts';

const FROM_CAIRN: Record<string, MlflowErrorCode> = {
  NotFound: 'RESOURCE_DOES_NOT_EXIST',
  AlreadyExists: 'RESOURCE_ALREADY_EXISTS',
  Unauthorized: 'UNAUTHENTICATED',
  Forbidden: 'PERMISSION_DENIED',
  Conflict: 'RESOURCE_CONFLICT',
  DamagedContent: 'DATA_LOSS',
};

/** Any error as MLflow's body: the client reads `error_code` and retries only 5xx, so a caller's mistake is a 4xx. */
export function asMlflowError(err: any): MlflowError {
  if (err instanceof MlflowError) return err;
  if (err instanceof CairnError) return new MlflowError(FROM_CAIRN[err.code] ?? (err.status < 500 ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR'), err.message);
  if (err?.statusCode && err.statusCode < 500) return new MlflowError(err.statusCode === 413 ? 'INVALID_PARAMETER_VALUE' : 'BAD_REQUEST', err.message);
  return new MlflowError('INTERNAL_ERROR', `internal error: ${err?.message ?? err}`);
}

export function mlflowErrorHandling(scope: FastifyInstance): void {
  scope.setErrorHandler((err: any, req, reply) => {
    const e = asMlflowError(err);
    if (err?.statusCode === 413 || err?.status === 413) lingerAfterRefusal(req.raw, reply);
    if (e.status >= 500) req.log.error({ err }, 'mlflow request failed');
    reply.code(e.status).send(e.toBody());
  });
  scope.setNotFoundHandler((req, reply) => {
    reply.code(404).send(new MlflowError('ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${req.url.split('?')[0]}`).toBody());
  });
}
