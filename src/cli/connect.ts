import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORT } from '../protocol/routes.ts';
import { CairnClient } from '../sdk/client.ts';
import { CairnError } from '../sdk/errors.ts';
import { defaultHome } from '../server/server-file.ts';
import { packageLayout } from '../package-layout.ts';

const CLI_MAIN = packageLayout().cliMain;

export interface GlobalOptions {
  server?: string;
  workspace?: string;
}

/** The port of the local server the CLI finds or starts: $CAIRN_PORT, else the default. */
export const localPort = (env: NodeJS.ProcessEnv) => Number(env.CAIRN_PORT) || DEFAULT_PORT;

/** Where the CLI looks for its server: the flag, then $CAIRN_SERVER, then the local default. */
export function resolveServer(o: GlobalOptions, env: NodeJS.ProcessEnv): { url: string; configured: boolean } {
  const url = o.server ?? env.CAIRN_SERVER;
  return url ? { url, configured: true } : { url: `http://127.0.0.1:${localPort(env)}`, configured: false };
}

async function answers(client: CairnClient): Promise<boolean> {
  try {
    await client.health();
    return true;
  } catch {
    return false;
  }
}

/**
 * A client for the configured server. When none is configured and nothing answers on the local
 * default, a local server is started in the background (SkyPilot's local API server does the same).
 */
export async function connect(o: GlobalOptions, env: NodeJS.ProcessEnv, say: (s: string) => void): Promise<CairnClient> {
  const { url, configured } = resolveServer(o, env);
  const client = new CairnClient({ url, token: env.CAIRN_TOKEN, workspace: o.workspace });
  if (await answers(client)) return client;
  if (configured) {
    await client.health(); // throws the precise "cannot reach" error
    return client;
  }
  const home = defaultHome(env);
  mkdirSync(home, { recursive: true });
  const logFd = openSync(join(home, 'server.log'), 'a');
  const child = spawn(process.execPath, [CLI_MAIN, 'server', '--port', String(localPort(env)), '--data-dir', home], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env,
  });
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited) {
    if (await answers(client)) {
      say(`started a local Cairn server at ${url} (data in ${home}, log in ${join(home, 'server.log')}; stop it with 'cairn server stop')`);
      return client;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CairnError('ServerUnreachable', `no Cairn server answers at ${url} and starting one failed; see ${join(home, 'server.log')}`);
}
