import { resolve } from 'node:path';
import { Command } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnError } from '../../protocol/errors.ts';
import { CommandJobSpec } from '../../protocol/job-spec.ts';
import { stripAzureml } from '../../sdk/job-file.ts';
import type { Cli } from '../context.ts';
import { experimentOfFolder, submitAndShow } from '../submit.ts';

/** Quotes an argument for bash only when it needs it. */
export const shellQuote = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function runCommand(cli: Cli): Command {
  return new Command('run')
    .description(COMMAND_HELP.run.description)
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('--compute <name>', 'compute to run on', 'local')
    .option('-n, --name <name>', 'job name (default generated)')
    .option('--experiment-name <name>', 'experiment (default: the name of the current folder, as az ml does)')
    .option('--code <dir>', 'code folder to snapshot', '.')
    .option('--timeout <seconds>', 'limits.timeout', (v) => Number.parseInt(v, 10))
    .option('--environment <ref>', 'a registered environment (NAME:VERSION, NAME@latest, azureml:...) or a curated Azure ML name; default: the node\'s own Python')
    .option('--python-path <path>', 'absolute path of a python interpreter on the node to run with (it is `python` and `python3` first on PATH)')
    .option('-e, --env <KEY=VALUE>', 'environment variable for the job (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--no-stream', 'submit and return (prints the job name and how to follow it; -o json for the whole job) instead of following its output')
    .action(async (argv: string[], o, cmd) => {
      const env: Record<string, string> = {};
      for (const kv of o.env as string[]) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new CairnError('ValidationError', `--env '${kv}': expected KEY=VALUE`);
        env[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const codeDir = resolve(o.code);
      const parsed = CommandJobSpec.safeParse({
        command: argv.map(shellQuote).join(' '),
        code: codeDir,
        compute: o.compute.replace(/^azureml:/, ''),
        name: o.name,
        experiment_name: o.experimentName ?? experimentOfFolder(process.cwd()),
        environment: o.environment === undefined ? undefined : stripAzureml(o.environment),
        python_path: o.pythonPath,
        environment_variables: Object.keys(env).length ? env : undefined,
        limits: o.timeout ? { timeout: o.timeout } : undefined,
      });
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new CairnError('ValidationError', `${i.path.join('.') || 'job'}: ${i.message}`);
      }
      await submitAndShow(cli, cmd, { spec: parsed.data, codeDir, environmentBuildDir: null, inputPaths: {} }, o.stream, { brief: true });
    });
}
