import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ustar } from './ustar.ts';
import type { BuildOptions } from 'esbuild';
import { packageLayout } from '../../package-layout.ts';

/**
 * How the agent is bundled: here at run time in a clone, and by scripts/build-cli.ts into
 * dist/agent.js for a package (which then needs neither the sources nor esbuild).
 */
export const AGENT_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions;

export interface AgentBundle {
  /** The agent as one ES module file: it imports only the protocol and zod, so it bundles small. */
  code: Buffer;
  sha256: string;
  /** The stdlib-only `cairn` Python module every job finds on PYTHONPATH. */
  python: { path: string; data: Buffer; sha256: string }[];
}

export interface NodeRuntime {
  path: string;
  version: string;
  sha256: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Built on first use and kept: the agent's sources do not change while a server runs. */
export class AgentArtifacts {
  private bundle: Promise<AgentBundle> | null = null;
  private runtime: Promise<NodeRuntime> | null = null;

  agent(): Promise<AgentBundle> {
    this.bundle ??= (async () => {
      const layout = packageLayout();
      let code: Buffer;
      if (layout.agentBundle) code = readFileSync(layout.agentBundle);
      else {
        const { build } = await import('esbuild');
        const out = await build({ ...AGENT_BUILD_OPTIONS, entryPoints: [layout.agentMain], write: false });
        code = Buffer.from(out.outputFiles[0].contents);
      }
      const pyDir = join(layout.pythonDir, 'cairn');
      // The whole package, its sub-packages too (the client, cairn.ml, cairn.azureml).
      const python = readdirSync(pyDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.py') && !f.split(sep).includes('__pycache__'))
        .sort()
        .map((f) => {
          const data = readFileSync(join(pyDir, f));
          return { path: `cairn/${f.split(sep).join('/')}`, data, sha256: sha256(data) };
        });
      return { code, sha256: sha256(code), python };
    })().catch((err) => {
      this.bundle = null;
      throw err;
    });
    return this.bundle;
  }

  /** The Python module as one tar (for nodes that fetch their own copy over HTTP), and its sha256. */
  async pythonTar(): Promise<{ data: Buffer; sha256: string }> {
    const data = ustar((await this.agent()).python.map((f) => ({ path: f.path, data: f.data, mode: 0o644 })));
    return { data, sha256: sha256(data) };
  }

  /** This server's own Node binary, copied to hosts that have no Node 24. */
  nodeRuntime(): Promise<NodeRuntime> {
    this.runtime ??= new Promise<NodeRuntime>((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(process.execPath)
        .on('data', (d) => h.update(d))
        .on('error', reject)
        .on('end', () => resolve({ path: process.execPath, version: process.version, sha256: h.digest('hex') }));
    });
    return this.runtime;
  }
}
