import { Command, CommanderError, Help } from 'commander';
import { COMMAND_HELP, type CommandName } from './commands/help.ts';
import { COMMANDS, invokedCommand } from './commands/index.ts';

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

const program = new Command('cairn')
  .description('Cairn: run training jobs on your own compute, the Azure ML way')
  .version(VERSION, '-V', 'print the version (cairn --version does too)')
  .option('--server <url>', 'Cairn server URL (default $CAIRN_SERVER, else a local server on 127.0.0.1:7667, started if needed)')
  .option('--workspace <name>', 'workspace', 'default')
  .option('-o, --output <format>', 'json, yaml or table (job metrics also csv)')
  .showHelpAfterError()
  .exitOverride();
// The commands this run does not use are listed by name and description only (see commands/help.ts).
const stubs = new Set<Command>();
const help = new Help();
program.configureHelp({ subcommandTerm: (cmd) => (stubs.has(cmd) ? COMMAND_HELP[cmd.name() as CommandName].term : help.subcommandTerm(cmd)) });

try {
  const wanted = invokedCommand(process.argv.slice(2));
  const cli = wanted ? (await import('./context.ts')).makeCli(process.env) : null;
  for (const name of Object.keys(COMMAND_HELP) as CommandName[]) {
    if (name === wanted && cli) program.addCommand((await COMMANDS[name]())(cli));
    else {
      const stub = new Command(name).description(COMMAND_HELP[name].description).allowUnknownOption().allowExcessArguments();
      stub.action(() => {
        throw new Error(`internal: the '${name}' command was not loaded`);
      });
      stubs.add(stub);
      program.addCommand(stub);
    }
  }
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}
