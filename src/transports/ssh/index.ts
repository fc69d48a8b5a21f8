// The SSH transport: connections to hosts attached over SSH (commands, atomic uploads, reverse
// tunnels), and a pool that keeps one connection per compute.
export { connectSsh } from './connect.ts';
export { fingerprintOf, normalizeFingerprint, shellQuote } from './fingerprint.ts';
export { SshPool } from './pool.ts';
export type { ExecOptions, ExecResult, RemoteForward, SshSession, SshTarget } from './types.ts';
