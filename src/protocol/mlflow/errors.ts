/**
 * MLflow's error body and status mapping (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS).
 * The MLflow client retries every 5xx for minutes, so anything the caller got wrong must be a 4xx.
 */
export const MLFLOW_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  RESOURCE_CONFLICT: 409,
  /** Stored bytes that no longer match their hash: permanent, so not a 5xx the client would retry for minutes. */
  DATA_LOSS: 410,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
} as const;
export type MlflowErrorCode = keyof typeof MLFLOW_STATUS;

export interface MlflowErrorBody {
  error_code: string;
  message: string;
}

export class MlflowError extends Error {
  readonly code: MlflowErrorCode;
  readonly status: number;
  constructor(code: MlflowErrorCode, message: string) {
    super(message);
    this.name = 'MlflowError';
    this.code = code;
    this.status = MLFLOW_STATUS[code];
  }
  toBody(): MlflowErrorBody {
    return { error_code: this.code, message: this.message };
  }
}

export const invalidParam = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);

export const missingParam = (name: string) =>
  invalidParam(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);

export const invalidValue = (name: string, value: unknown) =>
  invalidParam(`Invalid value ${JSON.stringify(value)} for parameter '${name}' supplied. See the API docs for more information about request parameters.`);
