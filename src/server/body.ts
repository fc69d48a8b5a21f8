/**
 * Request bodies, bounded: a size per route (Fastify's bodyLimit, checked while reading), a
 * nesting depth, and no NUL in any string (PostgreSQL's text refuses it, so would a file name or
 * an exec argument; better a 400 now than a 500 later, which MLflow's client retries for minutes).
 */

const MIB = 1024 ** 2;

/** The default for any JSON route that does not say otherwise. */
export const DEFAULT_BODY_LIMIT = 1 * MIB;

/** Routes that take more, by what they carry. */
export const BODY_LIMITS = {
  /** A job spec with an inline environment (its conda file text). */
  job: 4 * MIB,
  /** A manifest of up to MAX_MANIFEST_ENTRIES entries. */
  snapshot: 48 * MIB,
  /** Up to MAX_MANIFEST_ENTRIES hashes. */
  missingBlobs: 16 * MIB,
  /** A batch of log lines (the agent sends at most LOG_BATCH_BYTES of text). */
  logs: 16 * MIB,
  /** The list of a job's output files. */
  outputs: 16 * MIB,
  /** MLflow calls: log-batch's 1,000 metrics, 100 params and 100 tags fit many times over. */
  mlflow: 16 * MIB,
} as const;

export const MAX_JSON_DEPTH = 64;

export class BodyError extends Error {}

/** One pass over JSON text: refuses nesting deeper than `maxDepth` before JSON.parse builds anything. */
export function checkJsonText(text: string, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) throw new BodyError(`the request body nests deeper than ${maxDepth} levels`);
    } else if (c === 93 || c === 125) depth--;
  }
}

/** Parses a JSON body after checking it; an empty body is `undefined`. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  checkJsonText(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyError(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  refuseNul(text, value);
  return value;
}

/** NUL in any key or string of a parsed body: refused, naming where (looked for only when the text has the escape). */
export function refuseNul(text: string, value: unknown): void {
  if (!text.includes('\\u0000')) return;
  const where = nulPath(value, []);
  if (where) throw new BodyError(`${where.length ? where.join('.') : 'request body'}: must not contain a NUL character`);
}

function nulPath(v: unknown, path: string[]): string[] | null {
  if (typeof v === 'string') return v.includes('\0') ? path : null;
  if (!v || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    if (k.includes('\0')) return [...path, k.replace(/\0/g, '\\0')];
    const found = nulPath(x, [...path, k]);
    if (found) return found;
  }
  return null;
}

/** A parameter or query value from the URL holding NUL: refused like a body string. */
export function nulInValues(values: unknown): string | null {
  if (!values || typeof values !== 'object') return null;
  for (const [k, v] of Object.entries(values)) {
    const vs = Array.isArray(v) ? v : [v];
    if (vs.some((x) => typeof x === 'string' && x.includes('\0'))) return k;
  }
  return null;
}

/**
 * After refusing a body that is too large, keep reading (and dropping) what the client is still
 * sending while it gets the answer: closing with unread bytes (Fastify's way) makes the kernel
 * reset the connection, and the client loses the 413. Bounded: past `maxBytes` or `maxMs` it is cut.
 */
export function lingerAfterRefusal(raw: import('node:http').IncomingMessage, reply: { removeHeader(name: string): unknown }, o = { maxBytes: 256 * MIB, maxMs: 10_000 }): void {
  if (raw.complete) return;
  reply.removeHeader('connection');
  let seen = 0;
  const cut = () => {
    clearTimeout(timer);
    raw.socket?.destroy();
  };
  const timer = setTimeout(cut, o.maxMs);
  timer.unref();
  raw.on('data', (d: Buffer) => {
    seen += d.length;
    if (seen > o.maxBytes) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.resume();
}
