import type { Command } from 'commander';
import type { Cli } from '../context.ts';
import { COMMAND_HELP, type CommandName } from './help.ts';

/** Each top-level command's module, loaded only when that command runs (or shows its own help). */
export const COMMANDS: Record<CommandName, () => Promise<(cli: Cli) => Command>> = {
  job: async () => (await import('./job.ts')).jobCommand,
  run: async () => (await import('./run.ts')).runCommand,
  compute: async () => (await import('./compute.ts')).computeCommand,
  environment: async () => (await import('./environment.ts')).environmentCommand,
  component: async () => (await import('./component.ts')).componentCommand,
  data: async () => (await import('./data.ts')).dataCommand,
  model: async () => (await import('./data.ts')).modelCommand,
  datastore: async () => (await import('./datastore.ts')).datastoreCommand,
  studio: async () => (await import('./studio.ts')).studioCommand,
  server: async () => (await import('./server.ts')).serverCommand,
};

/** Global options that take a value, so that value is not taken for the command's name. */
const GLOBAL_WITH_VALUE = new Set(['--server', '--workspace', '-o', '--output']);

/** The top-level command the arguments run (`cairn help job` shows job's help): the only one loaded. */
export function invokedCommand(args: string[]): CommandName | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) words.push(a);
  }
  const name = words[0] === 'help' ? words[1] : words[0];
  return name !== undefined && Object.hasOwn(COMMAND_HELP, name) ? (name as CommandName) : undefined;
}
