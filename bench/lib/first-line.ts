// Timing the first line of output: of a plain process (the baselines) and of a submitted job.
import { spawn } from 'node:child_process';
import type { CairnClient } from '../../src/sdk/client.ts';
import { submitJob } from '../../src/sdk/submit.ts';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
export const round1 = (x: number) => Math.round(x * 10) / 10;

/** Milliseconds from spawn to the first byte on stdout. */
export function firstOutput(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let t: number | null = null;
    child.stdout.once('data', () => (t = performance.now() - t0));
    child.on('error', reject);
    child.on('close', () => (t === null ? reject(new Error(`${cmd} printed nothing`)) : resolve(t)));
  });
}

/** Milliseconds from submitting `python3 -c 'print(1)'` through the SDK to its first log line. */
export async function submitFirstLine(client: CairnClient, o: { name: string; codeDir: string | null; compute?: string }): Promise<number> {
  const t0 = performance.now();
  const spec = { type: 'command' as const, command: "python3 -c 'print(1)'", name: o.name, ...(o.compute ? { compute: o.compute } : {}) };
  const job = await submitJob(client, { spec, codeDir: o.codeDir });
  let first: number | null = null;
  const ctl = new AbortController();
  await client
    .stream(job.name, {
      signal: ctl.signal,
      onLine: () => {
        first ??= performance.now() - t0;
        ctl.abort();
      },
    })
    .catch((e) => {
      if ((e as Error).name !== 'AbortError') throw e;
    });
  if (first === null) throw new Error(`job ${job.name} printed nothing`);
  return first;
}
