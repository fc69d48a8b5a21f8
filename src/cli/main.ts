import { Command, CommanderError } from 'commander';
import { CairnError } from '../protocol/errors.ts';
import { makeCli } from './context.ts';
import { jobCommand } from './commands/job.ts';
import { serverCommand } from './commands/server.ts';
import { runCommand } from './commands/run.ts';
import { computeCommand } from './commands/compute.ts';
import { environmentCommand } from './commands/environment.ts';

const VERSION = '0.1.0';
// `--version` right after `cairn` prints the version; anywhere later it belongs to the subcommand
// (`cairn environment create --version 2`), as in az ml. Commander would take it everywhere.
if (process.argv[2] === '--version') {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}

// A reader that went away (`cairn job stream -n X | head`) ends the command quietly, as it would end `cat`.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const cli = makeCli(process.env);
const program = new Command('cairn')
  .description('Cairn: run training jobs on your own compute, the Azure ML way')
  .version(VERSION, '-V', 'print the version (cairn --version does too)')
  .option('--server <url>', 'Cairn server URL (default $CAIRN_SERVER, else a local server on 127.0.0.1:7667, started if needed)')
  .option('--workspace <name>', 'workspace', 'default')
  .option('-o, --output <format>', 'json, yaml or table (job metrics also csv)')
  .showHelpAfterError()
  .exitOverride();
program.addCommand(jobCommand(cli));
program.addCommand(runCommand(cli));
program.addCommand(computeCommand(cli));
program.addCommand(environmentCommand(cli));
program.addCommand(serverCommand(cli));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const msg = err instanceof CairnError ? err.message : err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}
