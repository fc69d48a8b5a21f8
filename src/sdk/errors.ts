import { CairnError, ErrorBody } from '../protocol/errors.ts';

export { CairnError };
export class NotFoundError extends CairnError {}
export class AlreadyExistsError extends CairnError {}
export class ValidationError extends CairnError {}
export class AuthError extends CairnError {}
export class ConflictError extends CairnError {}
export class ServerUnreachableError extends CairnError {}

const CLASSES: Record<string, typeof CairnError> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  ValidationError: ValidationError,
  BadRequest: ValidationError,
  PathEscapesRoot: ValidationError,
  UnknownCompute: ValidationError,
  UnknownAsset: ValidationError,
  UnknownDatastore: ValidationError,
  DatastoreDenied: ValidationError,
  Unauthorized: AuthError,
  Forbidden: AuthError,
  Conflict: ConflictError,
  JobAlreadyFinished: ConflictError,
  ServerUnreachable: ServerUnreachableError,
  DatastoreUnreachable: ServerUnreachableError,
};

/** Rebuilds the typed error the server meant from its one error body. */
export function errorFromResponse(status: number, text: string): CairnError {
  let body: ErrorBody | null = null;
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {}
  if (!body) return new CairnError('Internal', `server answered ${status}: ${text.slice(0, 200)}`, undefined, status);
  const Cls = CLASSES[body.error.code] ?? CairnError;
  const e = new Cls(body.error.code, body.error.message, body.error.details, status);
  e.name = Cls.name;
  return e;
}
