import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../protocol/errors.ts';
import { isTerminal } from '../protocol/job.ts';
import type { Store } from '../store/index.ts';
import type { NodeRow } from '../store/nodes.ts';
import type { FastifyRequest } from 'fastify';
import type { Policy } from './access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, decided in onRequest from the token and the matched route's policy (null: public, anonymous). */
    principal?: Principal | null;
  }
}

/**
 * Job tokens: the job's own identity, scoped to that job. They are derived (HMAC of the job id
 * with a server secret kept in the data folder, which no job can read), so nothing secret is
 * stored per job and a restarted server still accepts the tokens of running jobs.
 */
export class JobTokens {
  private readonly secret: Buffer;
  constructor(dataDir: string) {
    const f = join(dataDir, 'secret');
    if (!existsSync(f)) writeFileSync(f, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    this.secret = Buffer.from(readFileSync(f, 'utf8').trim(), 'hex');
  }

  /** A token for one attempt of a job: what it logs is recorded as that attempt's. */
  issue(jobId: string, attempt?: number): string {
    return attempt === undefined ? `cjt.${jobId}.${this.mac(`job:${jobId}`)}` : `cjt.${jobId}.${attempt}.${this.mac(`job:${jobId}:${attempt}`)}`;
  }

  /** The job (and attempt) a token speaks for, or null. Whether that job still accepts it is the Authenticator's call. */
  verify(token: string): { jobId: string; attempt: number | null } | null {
    const m = /^cjt\.([0-9a-f-]{36})\.(?:(\d{1,6})\.)?([0-9a-f]{64})$/.exec(token);
    if (!m) return null;
    const attempt = m[2] === undefined ? null : Number(m[2]);
    const good = Buffer.from(this.mac(attempt === null ? `job:${m[1]}` : `job:${m[1]}:${attempt}`), 'hex');
    return timingSafeEqual(good, Buffer.from(m[3], 'hex')) ? { jobId: m[1], attempt } : null;
  }

  private mac(subject: string): string {
    return createHmac('sha256', this.secret).update(subject).digest('hex');
  }

  /** A key of its own for another purpose (studio sessions), derived from the same secret. */
  derive(purpose: string): Buffer {
    return createHmac('sha256', this.secret).update(`derive:${purpose}`).digest();
  }
}

/** The cookie a studio session rides on: a browser cannot put a header on EventSource or an <img>. */
export const SESSION_COOKIE = 'cairn_session';
/** Cookie-authenticated writes must carry this header: another site cannot send it without CORS. */
export const STUDIO_HEADER = 'x-cairn-studio';
const SESSION_MS = 12 * 3600_000;

const tagOf = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);

/**
 * Studio sessions: `cs1.<expiry>.<tag of the API token>.<mac>`, stateless, so they survive a
 * restart, and they end when the token they came from is no longer configured.
 */
export class StudioSessions {
  private readonly key: Buffer;
  private readonly tags: Set<string>;
  private readonly now: () => number;
  constructor(key: Buffer, adminTokens: string[], now: () => number = Date.now) {
    this.key = key;
    this.tags = new Set(adminTokens.map(tagOf));
    this.now = now;
  }

  /** A cookie value for an API token already checked by the caller, and when it expires. */
  issue(token: string): { value: string; expires: Date } {
    const expires = this.now() + SESSION_MS;
    const body = `${expires}.${tagOf(token)}`;
    return { value: `cs1.${body}.${this.mac(body)}`, expires: new Date(expires) };
  }

  valid(value: string | undefined): boolean {
    const m = /^cs1\.(\d{13})\.([0-9a-f]{16})\.([0-9a-f]{64})$/.exec(value ?? '');
    if (!m || Number(m[1]) < this.now() || !this.tags.has(m[2]!)) return false;
    return timingSafeEqual(Buffer.from(this.mac(`${m[1]}.${m[2]}`), 'hex'), Buffer.from(m[3]!, 'hex'));
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('hex');
  }
}

/** One cookie's value from a Cookie header. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
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

/** What a job token stands for: enough of its job to decide scope without another query. */
export interface JobIdentity {
  id: string;
  name: string;
  workspace: string;
  snapshot_id: string | null;
  /** The attempt the token was issued for (null: a token from before attempts were named). */
  attempt: number | null;
}

export type Principal =
  | { kind: 'admin'; name: 'token-user' | 'local-user' | 'studio-user' }
  | { kind: 'job'; job: JobIdentity }
  | { kind: 'node'; node: NodeRow };

export interface AuthenticatorDeps {
  store: Store;
  adminTokens: string[];
  jobTokens: JobTokens;
  sessions: StudioSessions;
  /** How long a job token keeps working after its job ended (its last metrics and uploads land). */
  jobTokenGraceMs: number;
  now?: () => number;
}

interface JobState extends Omit<JobIdentity, 'attempt'> {
  endedAtMs: number | null;
  checkedAt: number;
}

/** A non-terminal job is looked at again after this long: a token stops soon after its job ends. */
const LIVE_RECHECK_MS = 1_000;
const CACHE_MAX = 10_000;

/**
 * Turns the token a request presents into a principal, for the policy of the route that matched.
 * It runs in onRequest, before any body is read, so an unauthenticated caller costs one lookup.
 */
export class Authenticator {
  private readonly d: AuthenticatorDeps;
  private readonly jobs = new Map<string, JobState>();
  constructor(deps: AuthenticatorDeps) {
    this.d = deps;
  }

  get open(): boolean {
    return this.d.adminTokens.length === 0;
  }

  /**
   * The caller, or null when it presented nothing usable (the caller decides between 401 and
   * public). Throws 401 for a token that is wrong or expired, so the caller learns which.
   */
  async principal(policy: Policy, bearer: string | undefined, family: 'cairn' | 'mlflow', session?: string): Promise<Principal | null> {
    // A studio session stands for the API token it was made from; a header token wins over it.
    if (!bearer && policy !== 'node' && !this.open && this.d.sessions.valid(session)) return { kind: 'admin', name: 'studio-user' };
    // A public route answers anyone; a token it cannot use makes the caller anonymous, not refused.
    if (policy === 'public') return this.identify('admin', bearer, family).catch(() => null);
    return this.identify(policy, bearer, family);
  }

  /** Whether `token` may open a studio session: API tokens only, never a job's or a node's. */
  checkLogin(token: string): void {
    if (token.startsWith('cjt.')) throw new CairnError('Forbidden', "a job token cannot log in to the studio: use one of the server's API tokens (--auth-token / CAIRN_AUTH_TOKENS)");
    if (!matchesUserToken(token, this.d.adminTokens)) throw new CairnError('Unauthorized', 'the token is not valid for this server');
  }

  private async identify(policy: Policy, bearer: string | undefined, family: 'cairn' | 'mlflow'): Promise<Principal | null> {
    if (policy === 'node') {
      if (!bearer) throw new CairnError('Unauthorized', 'agent requests need the node token');
      const hash = createHash('sha256').update(bearer).digest();
      const node = await this.d.store.nodes.byTokenHash(hash.toString('hex'));
      if (!node || !timingSafeEqual(Buffer.from(node.token_hash, 'hex'), hash)) throw new CairnError('Unauthorized', 'unknown node or wrong node token');
      return { kind: 'node', node };
    }
    if (bearer?.startsWith('cjt.')) {
      const t = this.d.jobTokens.verify(bearer);
      if (!t) throw new CairnError('Unauthorized', 'the job token is not valid for this server');
      return { kind: 'job', job: { ...(await this.liveJob(t.jobId)), attempt: t.attempt } };
    }
    if (bearer && matchesUserToken(bearer, this.d.adminTokens)) return { kind: 'admin', name: 'token-user' };
    if (bearer && !this.open) throw new CairnError('Unauthorized', 'the token is not valid for this server');
    if (this.open) return { kind: 'admin', name: 'local-user' };
    throw new CairnError('Unauthorized', family === 'mlflow' ? 'this server needs a token: set MLFLOW_TRACKING_TOKEN' : 'this server needs a token: set CAIRN_TOKEN');
  }

  /** The job a verified token names, refused once the job has been over for longer than the grace. */
  private async liveJob(jobId: string): Promise<Omit<JobIdentity, 'attempt'>> {
    const now = this.d.now?.() ?? Date.now();
    let s = this.jobs.get(jobId);
    if (!s || (s.endedAtMs === null && now - s.checkedAt > LIVE_RECHECK_MS)) {
      const row = await this.d.store.jobs.getById(jobId);
      if (!row) throw new CairnError('Unauthorized', 'the job token belongs to a job that no longer exists');
      const ended = isTerminal(row.status) ? Date.parse(row.end_time ?? row.created_at) : null;
      s = { id: row.id, name: row.name, workspace: row.workspace, snapshot_id: row.snapshot_id, endedAtMs: Number.isNaN(ended) ? now : ended, checkedAt: now };
      this.jobs.delete(jobId);
      this.jobs.set(jobId, s);
      if (this.jobs.size > CACHE_MAX) this.jobs.delete(this.jobs.keys().next().value!);
    }
    if (s.endedAtMs !== null && now > s.endedAtMs + this.d.jobTokenGraceMs) {
      throw new CairnError(
        'Unauthorized',
        `the job token of '${s.name}' has expired: the job ended at ${new Date(s.endedAtMs).toISOString()} and job tokens stop working ${Math.round(this.d.jobTokenGraceMs / 1000)} s after their job ends`,
      );
    }
    return { id: s.id, name: s.name, workspace: s.workspace, snapshot_id: s.snapshot_id };
  }
}

/**
 * Whether a principal may use a route, given the route's parsed parameters. Policies that any
 * kind can never pass were already settled by `allows`; this adds the per-job checks.
 */
export function permitted(policy: Policy, p: Principal, params: Record<string, string | undefined>): true | string {
  if (p.kind === 'admin') return policy === 'node' ? 'this route is for agents and needs a node token' : true;
  if (p.kind === 'node') return policy === 'node' ? true : 'a node token can only be used by agents';
  switch (policy) {
    case 'tracking':
    case 'public':
      return true;
    case 'own-job':
      return params.ws === p.job.workspace && params.name === p.job.name ? true : 'a job token can only read its own job';
    case 'own-snapshot':
      return p.job.snapshot_id !== null && params.id === p.job.snapshot_id ? true : "a job token can only read its own job's snapshot";
    case 'admin':
      return 'a job token cannot do this: it may read its own job and log to its own run';
    case 'node':
      return 'this route is for agents and needs a node token';
  }
}

/** The name a resource records as its creator. */
export function createdBy(req: FastifyRequest): string {
  const p = req.principal;
  if (!p) return 'anonymous';
  if (p.kind === 'admin') return p.name;
  return p.kind === 'job' ? `job:${p.job.name}` : `node:${p.node.name}`;
}
