import { createHash } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from './context.ts';
import { MissingBlobsResponse } from '../protocol/snapshot.ts';

interface OutputFile {
  path: string;
  abs: string;
  size: number;
  sha256: string;
}

/** Regular files under outputs/, links not followed (a link could point anywhere on the node). */
function walk(root: string, rel = '', out: { path: string; abs: string; size: number }[] = []): { path: string; abs: string; size: number }[] {
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) walk(root, p, out);
    else if (d.isFile()) {
      const abs = join(root, p);
      out.push({ path: p, abs, size: lstatSync(abs).size });
    }
  }
  return out;
}

/**
 * sha256 read in pieces into one reused buffer (a stream's fresh chunks pile up faster than the
 * collector frees them), without blocking the agent's other attempts: an output may be gigabytes.
 */
async function hashFile(path: string, buf: Buffer): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    for (let n; (n = (await fh.read(buf, 0, buf.length, null)).bytesRead) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** Uploads the blobs the server lacks (streamed from disk), then tells it which files the job produced. */
export async function uploadOutputs(ctx: Pick<AgentContext, 'client'>, attemptId: string, dir: string): Promise<number> {
  const files: OutputFile[] = [];
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of walk(dir)) files.push({ ...f, sha256: await hashFile(f.abs, buf) });
  if (files.length === 0) return 0;
  const { missing } = MissingBlobsResponse.parse(await ctx.client.request('POST', '/blobs/missing', { sha256: [...new Set(files.map((f) => f.sha256))] }));
  const need = new Set<string>(missing);
  for (const f of files) {
    if (!need.has(f.sha256)) continue;
    await ctx.client.request('PUT', `/blobs/${f.sha256}`, undefined, { file: f.abs });
    need.delete(f.sha256);
  }
  await ctx.client.request('POST', `/attempts/${attemptId}/outputs`, { artifacts: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) });
  return files.length;
}
