import type { UploadProgress } from '../sdk/submit.ts';
import { humanBytes } from './output.ts';

/** A progress line on stderr, shown only when an upload takes more than a moment and stderr is a terminal. */
export function progressBar(env: NodeJS.ProcessEnv, stream: NodeJS.WriteStream = process.stderr): (p: UploadProgress) => void {
  const started = Date.now();
  let shown = false;
  return (p) => {
    if (!stream.isTTY || env.CI === 'true' || Date.now() - started < 700) return;
    shown = true;
    const pct = p.totalBytes ? Math.floor((100 * p.bytes) / p.totalBytes) : 100;
    const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
    stream.write(`\ruploading code [${bar}] ${pct}% ${p.files}/${p.totalFiles} files, ${humanBytes(p.bytes)} of ${humanBytes(p.totalBytes)}`);
    if (shown && p.files === p.totalFiles) stream.write('\n');
  };
}
