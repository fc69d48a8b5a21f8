import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where Cairn's own files are, in both of its layouts:
 * - a clone, run from the TypeScript sources: this file is src/package-layout.ts;
 * - a package (or a clone's build), run from dist/: this file is bundled into a file of dist/
 *   (scripts/build-cli.ts puts every chunk of the CLI there, next to cli.js).
 * Either way the package root is one folder up. Nothing else in Cairn reads files relative to its
 * own location (the agent finds its Python module next to itself: src/agent/python, dist/python).
 */
export interface PackageLayout {
  /** True when running from the built bundle in dist/. */
  built: boolean;
  root: string;
  /** What `cairn` runs: the launcher, which picks the sources or the build and the Node to run them. */
  cliMain: string;
  /** The local agent's entry: src/agent/main.ts, or the agent bundle dist/agent.js. */
  agentMain: string;
  /** The agent as one file for SSH hosts, built by scripts/build-cli.ts; null in a clone run from the sources (built at run time). */
  agentBundle: string | null;
  /** The folder holding the stdlib-only `cairn` Python module (`<pythonDir>/cairn/*.py`). */
  pythonDir: string;
}

export function packageLayout(moduleUrl: string = import.meta.url): PackageLayout {
  const built = !moduleUrl.endsWith('.ts');
  const root = fileURLToPath(new URL('..', moduleUrl));
  const dist = join(root, 'dist');
  return {
    built,
    root,
    cliMain: join(root, 'bin', 'cairn.js'),
    agentMain: built ? join(dist, 'agent.js') : join(root, 'src', 'agent', 'main.ts'),
    agentBundle: built && existsSync(join(dist, 'agent.js')) ? join(dist, 'agent.js') : null,
    pythonDir: built ? join(dist, 'python') : join(root, 'src', 'agent', 'python'),
  };
}

/** Whether a process command line is a Cairn agent's, from either layout. */
export function isAgentCommandLine(cmdline: string): boolean {
  return cmdline.includes('agent/main.ts') || /\/dist\/agent\.js(\0|$)/.test(cmdline);
}
