import { Command } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnClient } from '../../sdk/client.ts';
import { CairnError } from '../../protocol/errors.ts';
import { defaultHome, loadServerConfig } from '../../server/config.ts';
import { readServerFile } from '../../server/server-file.ts';
import type { Cli } from '../context.ts';
import { resolveServer } from '../connect.ts';
import { render } from '../output.ts';

const collect = (v: string, prev: string[]) => [...prev, v];

export function serverCommand(cli: Cli): Command {
  const server = new Command('server')
    .description(COMMAND_HELP.server.description)
    .option('--host <host>', 'address to listen on (anything but loopback needs --auth-token)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', (v) => Number.parseInt(v, 10))
    .option('--data-dir <dir>', 'where the database, blobs and agent folders live (default $CAIRN_HOME or ~/.cairn); one server per folder')
    .option('--db <url>', 'sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB, nothing else (default sqlite in the data dir)')
    .option('--auth-token <token>', 'accept this API token (repeatable; also CAIRN_AUTH_TOKENS, comma-separated)', collect, [])
    .option('--max-concurrent-jobs <n>', 'jobs the local compute runs at once (default: number of cores)', (v) => Number.parseInt(v, 10))
    .option('--job-user <name>', 'on a server run as root, the unprivileged user local jobs run as, made if missing (default $CAIRN_JOB_USER or cairn-job)')
    .action(async (o) => {
      const cfg = loadServerConfig(
        { host: o.host, port: o.port, dataDir: o.dataDir, db: o.db, authTokens: o.authToken, maxConcurrentJobs: o.maxConcurrentJobs, jobUser: o.jobUser },
        cli.env,
      );
      // Loaded only here: the other commands stay quick to start without the server's dependencies.
      const { startServer } = await import('../../server/server.ts');
      const srv = await startServer(cfg);
      cli.err(`cairn server listening on ${srv.url} (database ${srv.store.where}, data in ${cfg.dataDir})`);
      let stopping = false;
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        process.on(sig, () => {
          if (stopping) return;
          stopping = true;
          cli.err(`${sig}: stopping the server; running jobs carry on and are picked up at the next start`);
          void srv.stop().then(() => process.exit(0));
        });
      }
      await new Promise(() => {}); // serve until a signal ends the process
    });

  server
    .command('status')
    .description('say whether a server answers, where, and with which database')
    .action(async (_o, cmd) => {
      const g = cmd.optsWithGlobals();
      const { url } = resolveServer(g, cli.env);
      const file = readServerFile(defaultHome(cli.env));
      try {
        const h = await new CairnClient({ url, token: cli.env.CAIRN_TOKEN }).health();
        cli.out(render({ url, status: 'running', pid: h.pid, db: h.db, data_dir: h.data_dir, version: h.version }, cli.format(cmd, 'table'), [], kv));
      } catch (err) {
        cli.out(render({ url, status: 'stopped', last_pid: file?.pid ?? null, error: (err as Error).message }, cli.format(cmd, 'table'), [], kv));
        process.exitCode = 1;
      }
    });

  server
    .command('stop')
    .description('stop the local server started in the data dir (running jobs carry on)')
    .action(async () => {
      const home = defaultHome(cli.env);
      const file = readServerFile(home);
      if (!file) throw new CairnError('NotFound', `no server runs from ${home} (no server.json there)`);
      try {
        process.kill(file.pid, 'SIGTERM');
      } catch {
        throw new CairnError('NotFound', `the server recorded in ${home}/server.json (pid ${file.pid}) is not running`);
      }
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        try {
          process.kill(file.pid, 0);
        } catch {
          return cli.err(`stopped the server at ${file.url} (pid ${file.pid})`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new CairnError('Conflict', `the server (pid ${file.pid}) did not stop within 15 s`);
    });
  return server;
}

const kv = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k.padEnd(9)} ${v ?? ''}`)
    .join('\n');
