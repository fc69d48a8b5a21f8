import type { FastifyRequest } from 'fastify';
import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import { asFields, type Fields } from '../../../protocol/mlflow/fields.ts';
import type { Scope } from '../../services/tracking/runs.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

/** A job writes only to its own runs: the tracking services check the run each call names. */
export const scopeOf = (req: FastifyRequest): Scope =>
  req.principal?.kind === 'job' ? { jobId: req.principal.job.id, attempt: req.principal.job.attempt ?? undefined } : {};

/** GET fields come as query strings, POST fields as a JSON body. */
export function fieldsOf(req: FastifyRequest): Fields {
  if (req.method === 'GET') return asFields(req.query);
  const type = String(req.headers['content-type'] ?? '');
  if (type && !type.startsWith('application/json')) throw invalidParam("Content-Type must be one of ['application/json']");
  return asFields(req.body);
}

