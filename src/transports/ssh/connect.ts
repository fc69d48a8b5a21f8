// Opening an SSH connection: host key check before any credential is sent, then authentication.
import { Client, type ConnectConfig } from 'ssh2';
import { badKey, connectError, unreachable, type ConnectFacts } from './errors.ts';
import { fingerprintOf, normalizeFingerprint } from './fingerprint.ts';
import { Ssh2Session } from './session.ts';
import type { SshSession, SshTarget } from './types.ts';

/** ssh2 pings every 5 s and gives up after 3 unanswered: a dead link is noticed in about 15 s. */
const KEEPALIVE_INTERVAL_MS = 5000;
const KEEPALIVE_COUNT_MAX = 3;
const DEFAULT_READY_TIMEOUT_MS = 10_000;

/**
 * Connects and authenticates. Rejects with a CairnError: `HostKeyMismatch` (refused before any
 * credential was sent), `SshAuthFailed`, or `SshUnreachable` (refused, timed out, no such host, not
 * an SSH server).
 */
export function connectSsh(t: SshTarget): Promise<SshSession> {
  return new Promise<SshSession>((resolve, reject) => {
    const readyTimeoutMs = t.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const facts: ConnectFacts = { socketConnected: false, readyTimeoutMs };
    const pinned = t.hostKey ? normalizeFingerprint(t.hostKey) : undefined;
    let seen: string | undefined;
    let settled = false;
    const client = new Client();

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(err);
    };
    const onError = (err: Error & { level?: string; code?: string }) => fail(connectError(t, err, facts));
    const onClose = () => fail(unreachable(t, facts.socketConnected ? 'the server closed the connection before login' : 'connection closed'));
    client.on('connect', () => {
      facts.socketConnected = true;
    });
    client.on('error', onError);
    client.on('close', onClose);
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      const session = new Ssh2Session(client, t, seen!); // attaches its own 'error' and 'close' listeners
      client.off('error', onError);
      client.off('close', onClose);
      resolve(session);
    });

    const config: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.username,
      privateKey: t.privateKey,
      passphrase: t.passphrase,
      password: t.password,
      readyTimeout: readyTimeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      tryKeyboard: false,
      // Called during key exchange, before the userauth service is even requested.
      hostVerifier: (key: Buffer): boolean => {
        seen = fingerprintOf(key);
        if (pinned && seen !== pinned) {
          facts.mismatch = { expected: pinned, got: seen };
          return false;
        }
        return true;
      },
    };
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 parses the key synchronously: a malformed key or a wrong passphrase lands here.
      const msg = err instanceof Error ? err.message : String(err);
      fail(/privateKey|passphrase|key/i.test(msg) ? badKey(t, msg.replace(/^Cannot parse privateKey: /, '')) : unreachable(t, msg, err));
    }
  });
}
