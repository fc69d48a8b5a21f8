import { z } from 'zod';

/** Stable error codes: clients branch on these, never on messages. */
export const ErrorCode = z.enum([
  'BadRequest',
  'ValidationError',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Unauthorized',
  'Forbidden',
  'PayloadTooLarge',
  'PathEscapesRoot',
  'MissingBlobs',
  'UnknownCompute',
  'JobAlreadyFinished',
  'ServerUnreachable',
  'Unsupported',
  'ComputeBusy',
  'SshUnreachable',
  'SshAuthFailed',
  'HostKeyMismatch',
  'HostCheckFailed',
  'UnknownEnvironment',
  'DamagedContent',
  'NotBuilt',
  'UnknownAsset',
  'UnknownDatastore',
  'DatastoreUnreachable',
  'DatastoreDenied',
  'Internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The one error body every API route answers with. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const httpStatusOf: Record<ErrorCode, number> = {
  BadRequest: 400,
  ValidationError: 400,
  PathEscapesRoot: 400,
  MissingBlobs: 400,
  UnknownCompute: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  JobAlreadyFinished: 409,
  PayloadTooLarge: 413,
  ServerUnreachable: 503,
  Unsupported: 400,
  ComputeBusy: 409,
  SshUnreachable: 502,
  SshAuthFailed: 400,
  HostKeyMismatch: 400,
  HostCheckFailed: 400,
  UnknownEnvironment: 400,
  // Permanent (retrying cannot repair stored bytes), so not a 5xx that clients would retry.
  DamagedContent: 410,
  NotBuilt: 503,
  UnknownAsset: 400,
  UnknownDatastore: 400,
  DatastoreUnreachable: 502,
  DatastoreDenied: 400,
  Internal: 500,
};

/** An error meant for the user: the message is written to be read, the code to be matched. */
export class CairnError extends Error {
  readonly code: ErrorCode | string;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode | string, message: string, details?: unknown, status?: number) {
    super(message);
    this.name = 'CairnError';
    this.code = code;
    this.details = details;
    this.status = status ?? httpStatusOf[code as ErrorCode] ?? 500;
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}
