import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnClient } from '../../sdk/client.ts';
import { defaultHome, readServerFile } from '../../server/server-file.ts';
import type { Cli } from '../context.ts';

/**
 * `cairn studio`: the studio's address on the server the other commands use (--server,
 * $CAIRN_SERVER, else the local server: the one recorded in $CAIRN_HOME/server.json when it
 * answers, say one started with `cairn server --port 0`, else the local default, started if needed).
 */
export function studioCommand(cli: Cli): Command {
  return new Command('studio')
    .description(COMMAND_HELP.studio.description)
    .option('--no-browser', 'only print the address (no browser is opened where there is no display anyway)')
    .action(async (o: { browser: boolean }, cmd: Command) => {
      const url = `${(await studioServer(cli, cmd)).url}/`;
      const format = cmd.optsWithGlobals().output as string | undefined;
      cli.out(format === 'json' ? JSON.stringify({ url }) : format === 'yaml' ? `url: ${url}` : url);
      if (!o.browser) return;
      const opener = browserCommand(url, cli.env);
      if (!opener) return cli.err('no display here: open the address above in a browser');
      try {
        const child = spawn(opener[0], opener.slice(1), { detached: true, stdio: 'ignore' });
        child.on('error', () => cli.err(`could not run ${opener[0]}: open the address above in a browser`));
        child.unref();
      } catch {
        cli.err(`could not run ${opener[0]}: open the address above in a browser`);
      }
    });
}

async function studioServer(cli: Cli, cmd: Command): Promise<CairnClient> {
  const g = cmd.optsWithGlobals() as { server?: string; workspace?: string };
  if (!g.server && !cli.env.CAIRN_SERVER) {
    const file = readServerFile(defaultHome(cli.env));
    if (file) {
      const local = new CairnClient({ url: file.url, token: cli.env.CAIRN_TOKEN, workspace: g.workspace });
      if (await local.health().then(() => true, () => false)) return local;
    }
  }
  return cli.client(cmd);
}

/** How to open a URL in a browser here, or null where there is no display to open one on. */
export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] | null {
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""', url];
  return env.DISPLAY || env.WAYLAND_DISPLAY ? ['xdg-open', url] : null;
}
