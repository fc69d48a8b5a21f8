// The SSH transport's public shapes: where to connect, and what a connected session can do.

/** Where and as whom to connect. Credentials stay in memory: nothing here is ever logged. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** An OpenSSH/PEM private key (the file's text). */
  privateKey?: string;
  password?: string;
  /** For an encrypted privateKey. */
  passphrase?: string;
  /**
   * The pinned host key, as its `SHA256:...` fingerprint (what `ssh-keygen -lf` prints). A server
   * presenting another key is refused before any credential is sent. Absent: trust on first use;
   * the session's `hostKey` says what the server presented, for the caller to pin.
   */
  hostKey?: string;
  /** How long the TCP connect, key exchange and authentication may take together. Default 10000. */
  readyTimeoutMs?: number;
}

export interface ExecResult {
  /** The exit status; null when the command was killed by a signal. */
  code: number | null;
  /** The signal's name (e.g. `SIGKILL`) when the command was killed by one. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string | Buffer;
  /** Kill the command (SSH signal KILL) and reject with a CairnError `Timeout` after this long. */
  timeoutMs?: number;
  /** Not supported: sshd accepts only the variables its AcceptEnv names. Put `X=1 cmd` in the command. */
  env?: never;
}

export interface RemoteForward {
  /** The port bound on the remote host's 127.0.0.1. */
  remotePort: number;
  /** Stops forwarding and ends the connections it carries. */
  close(): Promise<void>;
}

export interface SshSession {
  /** The `SHA256:...` fingerprint of the host key the server presented. */
  readonly hostKey: string;
  readonly target: SshTarget;
  /** Runs `command` with the remote user's shell. Never throws on a non-zero exit; throws when the connection drops. */
  exec(command: string, o?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a detached command and returns at once (for a daemon that must outlive the connection):
   * `setsid nohup ... >log 2>&1 &` style is the caller's job; this just runs it and resolves on the
   * shell's exit, without waiting for the output streams to close (a background process that kept
   * them open would otherwise hold the call for its whole life).
   */
  execDetached(command: string, o?: { timeoutMs?: number }): Promise<ExecResult>;
  /**
   * Writes a file over SFTP: to `remotePath + '.tmp-<random>'`, then renames it over remotePath,
   * so a reader never sees half a file. `mode` (e.g. 0o755) is set exactly (no umask). Creates no
   * directories: run `mkdir -p` first.
   */
  upload(data: Buffer | { localPath: string }, remotePath: string, mode?: number): Promise<void>;
  /** Reverse tunnel (ssh -R): the remote host's 127.0.0.1:<remotePort> (0 = any free port) forwards to toLocal on this machine. */
  forwardRemote(remotePort: number, toLocal: { host: string; port: number }): Promise<RemoteForward>;
  readonly closed: boolean;
  /** Fires once when the connection drops (with the cause) or is closed (without). Registered after that: fires at once. */
  onClose(cb: (err?: Error) => void): void;
  close(): Promise<void>;
}
