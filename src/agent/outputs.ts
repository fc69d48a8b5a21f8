import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
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
function walk(root: string, rel = '', out: OutputFile[] = []): OutputFile[] {
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) walk(root, p, out);
    else if (d.isFile()) {
      const abs = join(root, p);
      const data = readFileSync(abs);
      out.push({ path: p, abs, size: lstatSync(abs).size, sha256: createHash('sha256').update(data).digest('hex') });
    }
  }
  return out;
}

/** Uploads the blobs the server lacks, then tells it which files the job produced. */
export async function uploadOutputs(ctx: AgentContext, attemptId: string, dir: string): Promise<number> {
  const files = walk(dir);
  if (files.length === 0) return 0;
  const { missing } = MissingBlobsResponse.parse(await ctx.client.request('POST', '/blobs/missing', { sha256: [...new Set(files.map((f) => f.sha256))] }));
  const need = new Set<string>(missing);
  for (const f of files) {
    if (!need.has(f.sha256)) continue;
    await ctx.client.request('PUT', `/blobs/${f.sha256}`, undefined, { raw: readFileSync(f.abs) });
    need.delete(f.sha256);
  }
  await ctx.client.request('POST', `/attempts/${attemptId}/outputs`, { artifacts: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) });
  return files.length;
}
