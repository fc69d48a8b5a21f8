import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnError } from '../../protocol/errors.ts';
import type { Environment } from '../../protocol/environment.ts';
import { environmentFromFields, loadEnvironmentFile } from '../../sdk/environment-file.ts';
import { environmentTarget } from '../../sdk/environments.ts';
import type { Cli } from '../context.ts';
import { ENVIRONMENT_COLUMNS, environmentDetail } from '../environment-view.ts';
import { render, type Format } from '../output.ts';
import { progressBar } from '../progress.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const nameOpt = (what: string) => new Option('-n, --name <name>', what).makeOptionMandatory();

/** `az ml environment`: register environments from Azure ML v2 YAML, show, list, archive and restore their versions. */
export function environmentCommand(cli: Cli): Command {
  const environment = new Command('environment').description(COMMAND_HELP.environment.description);

  const print = (cmd: Command, v: Environment | Environment[], fallback: Format) => cli.out(render(v, cli.format(cmd, fallback), ENVIRONMENT_COLUMNS, environmentDetail));

  environment
    .command('create')
    .description(
      'register an environment version (az ml environment create) from an Azure ML v2 environment YAML file, or from flags. ' +
        'A conda_file path is read relative to the YAML file (to the current folder for --conda-file) and sent inline; a build.path folder is uploaded like job code ' +
        '(its .amlignore, .cairnignore or .gitignore applies). Versions never change: without --version the next number is given, ' +
        'or the latest version when its content is the same; a taken version with other content is refused. Prints the environment (default -o json)',
    )
    .option('-f, --file <path>', 'environment YAML file (Azure ML v2 schema)')
    .option('-n, --name <name>', 'environment name (overrides the file)')
    .option('-v, --version <version>', 'version to register (overrides the file; default: the next number)')
    .option('--set <key=value>', 'set a field, e.g. --set image=python:3.11-slim (value read as YAML; repeatable)', collect)
    .option('--image <image>', 'container image, run with docker or podman on the node (without a file)')
    .option('--conda-file <path>', 'conda environment YAML file (without a file)')
    .option('--build-context <dir>', 'folder with a Dockerfile to build the image from (without a file)')
    .option('--dockerfile-path <path>', 'the Dockerfile inside --build-context (default Dockerfile)')
    .option('--description <text>', 'description')
    .action(async (o, cmd) => {
      const name = o.name?.replace(/^azureml:/, '');
      const sources = { image: o.image, conda_file: o.condaFile, 'build.path': o.buildContext, 'build.dockerfile_path': o.dockerfilePath };
      const given = Object.values(sources).some((v) => v !== undefined);
      const sets: string[] = o.set ?? [];
      let loaded;
      if (o.file) {
        if (given) throw new CairnError('ValidationError', '--image, --conda-file, --build-context and --dockerfile-path are for creating without a file; with --file, change fields with --set');
        loaded = loadEnvironmentFile(o.file, sets, { overrides: { name, version: o.version, description: o.description } });
      } else if (given || sets.length || name !== undefined) {
        loaded = environmentFromFields({ name, version: o.version, description: o.description, ...sources }, sets);
      } else throw new CairnError('ValidationError', 'environment create: give --file FILE, or the fields as flags (--name with --image, --conda-file or --build-context)');
      if (!loaded.spec.name) throw new CairnError('ValidationError', `an environment to register needs a name: ${o.file ? `add name: to ${o.file} or ` : ''}give --name`);
      const client = await cli.client(cmd);
      const env = await client.environments.register(loaded, { snapshot: cli.snapshot, onWarning: (w) => cli.err(`warning: ${w}`), onProgress: progressBar(cli.env) });
      print(cmd, env, 'json');
    });

  environment
    .command('show')
    .description(
      'show an environment version (az ml environment show): its spec, kind, spec hash and whether it is archived. ' +
        'Without --version, the latest (archived versions only by exact version); -n NAME:VERSION and -n NAME@latest work too (default -o json; -o table: a summary and the conda file)',
    )
    .addOption(nameOpt('environment name, or NAME:VERSION, or NAME@latest (an azureml: prefix is dropped)'))
    .option('-v, --version <version>', 'the version to show')
    .option('-l, --label <label>', 'latest (the only label)')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.environments.get(o.name, { version: o.version, label: o.label }), 'json');
    });

  environment
    .command('list')
    .description(
      'list environments (az ml environment list): the latest version of each name; with -n, every version of that name, newest first. ' +
        'Archived ones only with --include-archived or --archived-only (default -o table)',
    )
    .option('-n, --name <name>', 'list the versions of this environment')
    .option('--include-archived', 'list archived versions as well')
    .option('--archived-only', 'list only archived versions')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const all = await client.environments.list({ name: o.name, includeArchived: Boolean(o.includeArchived || o.archivedOnly) });
      print(cmd, o.archivedOnly ? all.filter((e) => e.archived) : all, 'table');
    });

  for (const [action, what] of [
    ['archive', "archive an environment (az ml environment archive): one version, or without --version every version of the name. Archived versions leave lists and @latest, but jobs that name one by exact version still run"],
    ['restore', 'restore an archived environment (az ml environment restore): one version, or without --version every version of the name'],
  ] as const) {
    environment
      .command(action)
      .description(`${what}. Prints the versions changed (default -o table)`)
      .addOption(nameOpt('environment name, or NAME:VERSION (an azureml: prefix is dropped)'))
      .option('-v, --version <version>', `the version to ${action} (default: every version)`)
      .action(async (o, cmd) => {
        const t = environmentTarget(o.name, { version: o.version });
        const client = await cli.client(cmd);
        const changed = await client.environments[action](o.name, { version: o.version });
        const versions = changed.map((e) => e.version);
        cli.err(`${action === 'archive' ? 'Archived' : 'Restored'} environment '${t.name}' ${versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`}`);
        print(cmd, changed, 'table');
      });
  }

  return environment;
}
