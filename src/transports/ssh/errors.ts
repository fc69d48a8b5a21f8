// How the SSH transport's failures read: CairnErrors with stable codes and messages that name the
// host:port, the user and the cause, never a credential.
import { CairnError } from '../../protocol/errors.ts';
import type { SshTarget } from './types.ts';
import { SOCKET_CAUSES } from '../socket-causes.ts';

export function where(t: Pick<SshTarget, 'host' | 'port'>): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export function unreachable(t: SshTarget, cause: string, err?: unknown): CairnError {
  return withCause(new CairnError('SshUnreachable', `cannot reach ${where(t)}: ${cause}`, { host: t.host, port: t.port }), err);
}

export function authFailed(t: SshTarget, err?: unknown): CairnError {
  const what =
    t.privateKey && t.password
      ? 'the key and the password'
      : t.privateKey
        ? 'the key'
        : t.password
          ? 'the password'
          : 'every method tried (no key or password given)';
  return withCause(
    new CairnError('SshAuthFailed', `ssh: user '${t.username}' at ${where(t)} refused ${what}`, { host: t.host, port: t.port, username: t.username }),
    err,
  );
}

export function badKey(t: SshTarget, why: string): CairnError {
  return new CairnError('SshAuthFailed', `ssh: the private key for user '${t.username}' at ${where(t)} cannot be used: ${why}`, {
    host: t.host,
    port: t.port,
    username: t.username,
  });
}

export function hostKeyMismatch(t: SshTarget, expected: string, got: string): CairnError {
  return new CairnError(
    'HostKeyMismatch',
    `the host key of ${where(t)} changed: expected ${expected}, got ${got}; if this is expected, update the compute's host_key`,
    { host: t.host, port: t.port, expected, got },
  );
}

/** The connection went away under a running operation. */
export function dropped(t: SshTarget, what: string, err?: unknown): CairnError {
  const cause = err instanceof Error ? `: ${err.message}` : '';
  return withCause(new CairnError('SshUnreachable', `ssh: the connection to ${where(t)} dropped during ${what}${cause}`, { host: t.host, port: t.port }), err);
}

export function timedOut(t: SshTarget, what: string, ms: number): CairnError {
  return new CairnError('Timeout', `ssh: ${what} on ${where(t)} did not finish within ${seconds(ms)}`, { host: t.host, port: t.port }, 504);
}


export interface ConnectFacts {
  /** The TCP connection was made (the failure came later: handshake or authentication). */
  socketConnected: boolean;
  /** The host key seen did not match the pinned one (the verifier refused it). */
  mismatch?: { expected: string; got: string };
  readyTimeoutMs: number;
}

/** The CairnError for an error ssh2's Client emitted before 'ready'. */
export function connectError(t: SshTarget, err: Error & { level?: string; code?: string }, facts: ConnectFacts): CairnError {
  if (facts.mismatch) return hostKeyMismatch(t, facts.mismatch.expected, facts.mismatch.got);
  switch (err.level) {
    case 'client-authentication':
      return authFailed(t, err);
    case 'client-timeout':
      return unreachable(
        t,
        facts.socketConnected ? `no SSH handshake within ${seconds(facts.readyTimeoutMs)}` : `connection timed out after ${seconds(facts.readyTimeoutMs)}`,
        err,
      );
    case 'client-dns':
      return unreachable(t, 'host name not found', err);
  }
  if (err.code && SOCKET_CAUSES[err.code]) return unreachable(t, SOCKET_CAUSES[err.code]!, err);
  if (err.code) return unreachable(t, `${err.code}: ${err.message}`, err);
  if (!facts.socketConnected) return unreachable(t, err.message, err);
  return unreachable(t, `SSH handshake failed: ${err.message}`, err);
}

function withCause(e: CairnError, cause: unknown): CairnError {
  if (cause !== undefined) Object.defineProperty(e, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return e;
}
