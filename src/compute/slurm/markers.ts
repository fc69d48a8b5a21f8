// Slurm commands run through whatever shell the login host gives us, and that shell may print
// banners, a motd or .bashrc chatter on stdout before (or after) the command. So each command
// prints its output between markers that carry a fresh nonce, and only what lies between them is
// parsed: noise that merely looks like Slurm output can never be taken for it.
import { randomBytes } from 'node:crypto';
import { shellQuote } from '../../transports/ssh/fingerprint.ts';

/** Marker nonces are hex, so they need no quoting and are safe inside a RegExp. */
const HEX = /^[0-9a-f]{8,64}$/;

/** A fresh marker nonce: 96 random bits, hex. One per command. */
export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

function checkNonce(nonce: string): void {
  if (!HEX.test(nonce)) throw new Error(`marker nonce must be 8-64 lowercase hex digits, not '${nonce}'`);
}

/**
 * A POSIX sh snippet (for sh, bash or dash as the login shell's `-c` string) that runs `script`
 * in a subshell with UTC times in one fixed format, and prints
 * `\n@@cairn:<nonce>:out@@\n` <its stdout> `\n@@cairn:<nonce>:err@@\n` <its stderr>
 * `\n@@cairn:<nonce>:rc=<exit code>@@\n`.
 *
 * The script goes through `eval` of one quoted word, so a syntax error in it fails inside the
 * subshell (and is reported between the markers) instead of breaking the wrapper. The markers are
 * assembled by printf at run time, so the command text never contains one: a shell that echoes
 * its input, or a `ps` listing in the output, cannot forge a marker. If mktemp fails, nothing is
 * printed and the exit code is 125: no markers, so the caller reports the raw output.
 */
export function wrapCommand(script: string, nonce: string): string {
  checkNonce(nonce);
  const mark = (tag: string) => `printf '\\n@@cairn:%s:%s@@\\n' "$cairn_n" "${tag}"`;
  return [
    `cairn_n=${nonce}`,
    'cairn_e=$(mktemp) || exit 125',
    mark('out'),
    `(export TZ=UTC SLURM_TIME_FORMAT='%Y-%m-%dT%H:%M:%S'; eval ${shellQuote(script)}) 2>"$cairn_e"`,
    'cairn_rc=$?',
    mark('err'),
    'cat "$cairn_e"',
    'rm -f "$cairn_e"',
    mark('rc=$cairn_rc'),
  ].join('\n');
}

/**
 * What the wrapped script wrote and its exit code, from the whole stdout of the login shell.
 * Anything before the first `out` marker and after the last `rc` marker is ignored. null when
 * the markers are missing (the shell failed before the wrapper ran, or the output was cut).
 */
export function unwrapOutput(stdout: string, nonce: string): { out: string; err: string; code: number } | null {
  checkNonce(nonce);
  const outMark = `\n@@cairn:${nonce}:out@@\n`;
  const errMark = `\n@@cairn:${nonce}:err@@\n`;
  let rc: RegExpExecArray | undefined;
  for (const m of stdout.matchAll(new RegExp(`\\n@@cairn:${nonce}:rc=(\\d+)@@(?:\\n|$)`, 'g'))) rc = m;
  if (!rc) return null;
  const errAt = stdout.lastIndexOf(errMark, rc.index - errMark.length);
  const outAt = stdout.indexOf(outMark);
  if (errAt < 0 || outAt < 0 || outAt + outMark.length > errAt) return null;
  return {
    out: stdout.slice(outAt + outMark.length, errAt),
    err: stdout.slice(errAt + errMark.length, rc.index),
    code: Number(rc[1]),
  };
}
