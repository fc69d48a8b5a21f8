// Host key fingerprints and shell quoting: small, pure helpers of the SSH transport.
import { createHash } from 'node:crypto';

/**
 * The fingerprint of an SSH public key blob (the wire format, as in the base64 field of a `.pub`
 * file or what the server presents), exactly as OpenSSH prints it: `SHA256:` + unpadded base64.
 */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts `SHA256:abc`, `abc` or `SHA256:abc=` alike; for comparing a pinned key with a seen one. */
export function normalizeFingerprint(fp: string): string {
  const s = fp.trim();
  const body = s.toUpperCase().startsWith('SHA256:') ? s.slice(7) : s;
  return `SHA256:${body.replace(/=+$/, '')}`;
}

/** `s` as one word for a POSIX shell: single-quoted, with `'` written as `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
