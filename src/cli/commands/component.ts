import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnError } from '../../protocol/errors.ts';
import type { Component } from '../../protocol/component.ts';
import { loadComponentFile } from '../../sdk/component-file.ts';
import { componentTarget } from '../../sdk/components.ts';
import type { Cli } from '../context.ts';
import { COMPONENT_COLUMNS, componentDetail } from '../component-view.ts';
import { render, type Format } from '../output.ts';
import { progressBar } from '../progress.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const nameOpt = (what: string) => new Option('-n, --name <name>', what).makeOptionMandatory();

/** `az ml component`: register command components from Azure ML v2 YAML, show, list, archive and restore their versions. */
export function componentCommand(cli: Cli): Command {
  const component = new Command('component').description(COMMAND_HELP.component.description);

  const print = (cmd: Command, v: Component | Component[], fallback: Format) => cli.out(render(v, cli.format(cmd, fallback), COMPONENT_COLUMNS, componentDetail));

  component
    .command('create')
    .description(
      'register a command component version (az ml component create) from an Azure ML v2 component YAML file (type: command): ' +
        'inputs with types, defaults and optional, outputs, code, environment and a command whose $[[ ... ]] sections are kept only when a step gives every input they use. ' +
        'The code folder is uploaded like job code (its .amlignore, .cairnignore or .gitignore applies); a registered environment is pinned to its version (@latest becomes the version it is now). ' +
        'Versions never change: without --version the next number is given, or the latest version when its content is the same; a taken version with other content is refused. ' +
        'Prints the component (default -o json)',
    )
    .requiredOption('-f, --file <path>', 'component YAML file (Azure ML v2 schema, type: command)')
    .option('-n, --name <name>', 'component name (overrides the file)')
    .option('-v, --version <version>', 'version to register (overrides the file; default: the next number)')
    .option('--set <key=value>', 'set a field, e.g. --set inputs.lr.default=0.1 (value read as YAML; repeatable)', collect)
    .action(async (o, cmd) => {
      const name = o.name?.replace(/^azureml:/, '');
      const loaded = loadComponentFile(o.file, o.set ?? [], { overrides: { name, version: o.version } });
      if (!loaded.spec.name) throw new CairnError('ValidationError', `a component to register needs a name: add name: to ${o.file} or give --name`);
      const client = await cli.client(cmd);
      const created = await client.components.register(loaded, { snapshot: cli.snapshot, onWarning: (w) => cli.err(`warning: ${w}`), onProgress: progressBar(cli.env) });
      const { warnings: _w, ...shown } = created;
      print(cmd, shown, 'json');
    });

  component
    .command('show')
    .description(
      'show a component version (az ml component show): its inputs, outputs, command, code snapshot, environment and whether it is archived. ' +
        'Without --version, the latest (archived versions only by exact version); -n NAME:VERSION and -n NAME@latest work too (default -o json; -o table: a summary, the inputs and outputs, and the command)',
    )
    .addOption(nameOpt('component name, or NAME:VERSION, or NAME@latest (an azureml: prefix is dropped)'))
    .option('-v, --version <version>', 'the version to show')
    .option('-l, --label <label>', 'latest (the only label)')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.components.get(o.name, { version: o.version, label: o.label }), 'json');
    });

  component
    .command('list')
    .description(
      'list components (az ml component list): the latest version of each name; with -n, every version of that name, newest first. ' +
        'Archived ones only with --include-archived or --archived-only (default -o table)',
    )
    .option('-n, --name <name>', 'list the versions of this component')
    .option('--include-archived', 'list archived versions as well')
    .option('--archived-only', 'list only archived versions')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const all = await client.components.list({ name: o.name, includeArchived: Boolean(o.includeArchived || o.archivedOnly) });
      print(cmd, o.archivedOnly ? all.filter((c) => c.archived) : all, 'table');
    });

  for (const [action, what] of [
    ['archive', 'archive a component (az ml component archive): one version, or without --version every version of the name. Archived versions leave lists and @latest, but are still found by exact version'],
    ['restore', 'restore an archived component (az ml component restore): one version, or without --version every version of the name'],
  ] as const) {
    component
      .command(action)
      .description(`${what}. Prints the versions changed (default -o table)`)
      .addOption(nameOpt('component name, or NAME:VERSION (an azureml: prefix is dropped)'))
      .option('-v, --version <version>', `the version to ${action} (default: every version)`)
      .action(async (o, cmd) => {
        const t = componentTarget(o.name, { version: o.version });
        const client = await cli.client(cmd);
        const changed = await client.components[action](o.name, { version: o.version });
        const versions = changed.map((c) => c.version);
        cli.err(`${action === 'archive' ? 'Archived' : 'Restored'} component '${t.name}' ${versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(', ')}`}`);
        print(cmd, changed, 'table');
      });
  }

  return component;
}
