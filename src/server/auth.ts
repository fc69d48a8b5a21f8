import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Job tokens: the job's own identity, scoped to that job. They are derived (HMAC of the job id
 * with a server secret kept in the data folder), so nothing secret is stored per job and a
 * restarted server still accepts the tokens of running jobs.
 */
export class JobTokens {
  private readonly secret: Buffer;
  constructor(dataDir: string) {
    const f = join(dataDir, 'secret');
    if (!existsSync(f)) writeFileSync(f, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    this.secret = Buffer.from(readFileSync(f, 'utf8').trim(), 'hex');
  }

  issue(jobId: string): string {
    return `cjt.${jobId}.${this.mac(jobId)}`;
  }

  /** The job id a token speaks for, or null. */
  verify(token: string): string | null {
    const m = /^cjt\.([0-9a-f-]{36})\.([0-9a-f]{64})$/.exec(token);
    if (!m) return null;
    const good = Buffer.from(this.mac(m[1]), 'hex');
    return timingSafeEqual(good, Buffer.from(m[2], 'hex')) ? m[1] : null;
  }

  private mac(jobId: string): string {
    return createHmac('sha256', this.secret).update(`job:${jobId}`).digest('hex');
  }
}

/** Constant-time membership of a presented user token. */
export function matchesUserToken(presented: string, tokens: string[]): boolean {
  const p = Buffer.from(presented);
  let ok = false;
  for (const t of tokens) {
    const b = Buffer.from(t);
    if (b.length === p.length && timingSafeEqual(b, p)) ok = true;
  }
  return ok;
}

/**
 * The token a request presents: `Bearer <token>`, or HTTP Basic with the token as the password
 * (what MLflow's client sends from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).
 */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (m) return m[1].trim();
  const b = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!b) return undefined;
  const decoded = Buffer.from(b[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}
