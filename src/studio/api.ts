import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorBody } from '../protocol/errors.ts';

/** An error the studio shows: the server's stable code and its one-line message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Listeners told when a request comes back 401 (the session ended): the shell shows the login. */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (f: () => void) => (unauthorized.add(f), () => void unauthorized.delete(f));

export const WS = '/api/v1/workspaces/default';

/**
 * One way to call the server: same-origin with the session cookie, the studio header on writes
 * (the server refuses cookie writes without it), and every failure as an ApiError with a message
 * a person can read, including the server being unreachable.
 */
export async function api<T>(method: string, path: string, body?: unknown, onHeaders?: (h: Headers) => void): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(method !== 'GET' ? { 'x-cairn-studio': '1' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('ServerUnreachable', 'the Cairn server cannot be reached: is it running? (the studio tries again when you reload)', 0);
  }
  onHeaders?.(res.headers); // paging facts (a next page's cursor) travel in headers
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    // Cairn's routes answer the protocol's ErrorBody; MLflow's (/ajax-api) answer {error_code, message}.
    const cairn = ErrorBody.safeParse(json);
    const mlflow = json as { error_code?: string; message?: string } | null;
    const e = cairn.success ? cairn.data.error : mlflow?.error_code ? { code: mlflow.error_code, message: mlflow.message } : undefined;
    const err = new ApiError(e?.code ?? `HTTP${res.status}`, e?.message ?? `the server answered ${res.status} ${res.statusText}`, res.status);
    if (res.status === 401) for (const f of unauthorized) f();
    throw err;
  }
  return json as T;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `path` (GET) and keeps it fresh every `refreshMs` when given. A failed refresh keeps the
 * last data and shows the error beside it; the key changing starts over.
 */
export function useApi<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;
  useEffect(() => {
    if (path === null) return;
    let stop = false;
    setState((s) => ({ ...s, loading: true }));
    api<T>('GET', path).then(
      (data) => !stop && setState({ data, error: null, loading: false }),
      (error: ApiError) => !stop && setState((s) => ({ data: current.current === path ? s.data : null, error, loading: false })),
    );
    return () => {
      stop = true;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs || path === null) return;
    const t = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(t);
  }, [refreshMs, path]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}
