import { invalidParam } from '../../protocol/mlflow/errors.ts';
import { checkMaxResults as checkWithin, LIMITS } from '../../protocol/mlflow/validation.ts';

/** MLflow's SEARCH_MAX_RESULTS_THRESHOLD. */
export const MAX_RESULTS_LIMIT = LIMITS.searchMaxResults;

export function checkMaxResults(n: number): void {
  checkWithin(n, MAX_RESULTS_LIMIT, n);
}

/** Byte-for-byte SearchUtils.create_page_token: base64 of Python's json.dumps({"offset": n}). */
export const createPageToken = (offset: number): string => Buffer.from(`{"offset": ${offset}}`).toString('base64');

/** SearchUtils.parse_start_offset_from_page_token, with its messages. */
export function parsePageToken(token: string | undefined): number {
  if (!token) return 0;
  if (token.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(token)) throw invalidParam('Invalid page token, could not base64-decode');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw invalidParam(`Invalid page token, decoded value=${decoded}`);
  }
  const offset = parsed !== null && typeof parsed === 'object' ? (parsed as { offset?: unknown }).offset : undefined;
  if (!offset) throw invalidParam(`Invalid page token, parsed value=${decoded}`);
  const n = typeof offset === 'number' ? offset : typeof offset === 'string' && /^\s*\d+\s*$/.test(offset) ? Number(offset) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalidParam(`Invalid page token, not stringable ${JSON.stringify(offset)}`);
  return n;
}

/** One page from `offset`, with a token for the next only when more remain (MLflow then omits the field). */
export function paginate<T>(items: T[], offset: number, maxResults: number): { page: T[]; nextPageToken?: string } {
  const end = offset + maxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextPageToken: createPageToken(end) } : { page };
}
