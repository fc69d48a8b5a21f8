import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { CairnError } from '../../protocol/errors.ts';
import type { Asset, AssetKind } from '../../protocol/data.ts';
import { assetSpec, loadAssetFile } from '../../sdk/data.ts';
import type { Cli } from '../context.ts';
import { ASSET_COLUMNS, assetDetail } from '../data-view.ts';
import { render, type Format } from '../output.ts';
import { progressBar } from '../progress.ts';

const nameOpt = (what: string) => new Option('-n, --name <name>', what).makeOptionMandatory();

/** NAME, NAME:VERSION, NAME@latest (an azureml: prefix dropped), and --version: one name and maybe a version. */
function target(raw: string, version?: string): { name: string; version?: string } {
  const s = raw.replace(/^azureml:/, '');
  const m = /^([^:@]+)(?::([^:@]+)|@(latest))?$/.exec(s);
  if (!m) throw new CairnError('ValidationError', `'${raw}': expected NAME, NAME:VERSION or NAME@latest`);
  const inName = m[2];
  if (inName && version && inName !== version) throw new CairnError('ValidationError', `'${raw}' already names version ${inName}; give the version once`);
  return { name: m[1], ...((inName ?? version) ? { version: inName ?? version } : {}) };
}

/** `az ml data` and `az ml model`: one shape, two kinds. */
function assetCommand(cli: Cli, kind: AssetKind): Command {
  const word = kind === 'data' ? 'data asset' : 'model';
  const types = kind === 'data' ? 'uri_file, uri_folder (default) or mltable' : 'custom_model (default) or mlflow_model';
  const sources =
    kind === 'data'
      ? "a local file or folder (uploaded, only what the server lacks), azureml://datastores/NAME/paths/PATH, azureml://jobs/JOB/outputs/NAME or an http(s) URL"
      : "a local file or folder (uploaded, only what the server lacks), azureml://jobs/JOB/outputs/NAME, runs:/RUN_ID/PATH or azureml://datastores/NAME/paths/PATH";
  const c = new Command(kind).description(COMMAND_HELP[kind].description);
  const ops = (client: Awaited<ReturnType<Cli['client']>>) => (kind === 'data' ? client.data : client.models);
  const print = (cmd: Command, v: Asset | Asset[], fallback: Format) => cli.out(render(v, cli.format(cmd, fallback), ASSET_COLUMNS, assetDetail));

  c.command('create')
    .description(
      `register a ${word} version (az ml ${kind} create) from a YAML file (name, version, type, path, description, tags) or flags. path is ${sources}. ` +
        `type is ${types}. Versions never change: without --version the next number; the same content again answers with the version that has it (default -o json)`,
    )
    .option('-f, --file <path>', `${word} YAML file (Azure ML v2 schema); a local path in it is read relative to the file`)
    .option('-n, --name <name>', 'name (overrides the file)')
    .option('-v, --version <version>', 'version (overrides the file; default: the next number)')
    .option('-p, --path <path>', 'where the content is (overrides the file; a local path is relative to the current folder)')
    .option('-t, --type <type>', types)
    .option('-d, --description <text>', 'description')
    .action(async (o, cmd) => {
      let loaded;
      if (o.file) loaded = loadAssetFile(o.file, kind, { name: o.name, version: o.version, path: o.path });
      else {
        if (!o.name || !o.path) throw new CairnError('ValidationError', `${kind} create: give --file FILE, or --name and --path`);
        const fields = { name: o.name.replace(/^azureml:/, ''), path: o.path, ...(o.version ? { version: o.version } : {}), ...(o.type ? { type: o.type } : {}), ...(o.description ? { description: o.description } : {}) };
        loaded = assetSpec(fields, `${kind} create`, process.cwd());
      }
      if (o.file && (o.type || o.description)) loaded.spec = { ...loaded.spec, ...(o.type ? { type: o.type } : {}), ...(o.description ? { description: o.description } : {}) };
      const client = await cli.client(cmd);
      const asset = await ops(client).create(loaded.spec, loaded.localPath, { snapshot: cli.snapshot, onWarning: (w) => cli.err(`warning: ${w}`), onProgress: progressBar(cli.env) });
      print(cmd, asset, 'json');
    });

  c.command('show')
    .description(`show a ${word} version (az ml ${kind} show) with its lineage: the job that produced it and the jobs that read it. Without --version, the latest (default -o json)`)
    .addOption(nameOpt('name, NAME:VERSION or NAME@latest'))
    .option('-v, --version <version>', 'the version')
    .action(async (o, cmd) => {
      const t = target(o.name, o.version);
      const client = await cli.client(cmd);
      print(cmd, await ops(client).get(t.name, t.version), 'json');
    });

  c.command('list')
    .description(`list ${word}s (az ml ${kind} list): the latest version of each name; with -n, every version of that name. Archived ones with --include-archived or --archived-only (default -o table)`)
    .option('-n, --name <name>', 'list the versions of this name')
    .option('--include-archived', 'list archived versions as well')
    .option('--archived-only', 'list only archived versions')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const archived = o.archivedOnly ? 'true' : o.includeArchived ? 'all' : 'false';
      print(cmd, await ops(client).list({ name: o.name?.replace(/^azureml:/, ''), archived }), 'table');
    });

  for (const action of ['archive', 'restore'] as const) {
    c.command(action)
      .description(
        action === 'archive'
          ? `archive a ${word} (az ml ${kind} archive): one version, or without --version every version. Archived versions leave lists and @latest; jobs naming one by exact version still run`
          : `restore an archived ${word} (az ml ${kind} restore): one version, or without --version every version`,
      )
      .addOption(nameOpt('name or NAME:VERSION'))
      .option('-v, --version <version>', `the version to ${action} (default: every version)`)
      .action(async (o, cmd) => {
        const t = target(o.name, o.version);
        const client = await cli.client(cmd);
        const n = await ops(client).setArchived(t.name, t.version, action === 'archive');
        cli.out(`${action === 'archive' ? 'Archived' : 'Restored'} ${word} '${t.name}'${t.version ? ` version ${t.version}` : ` (${n} version${n === 1 ? '' : 's'})`}`);
      });
  }

  c.command('download')
    .description(`download a ${word} version's files (az ml ${kind} download) into DOWNLOAD_PATH/NAME. Without --version, the latest`)
    .addOption(nameOpt('name, NAME:VERSION or NAME@latest'))
    .option('-v, --version <version>', 'the version')
    .option('-p, --download-path <dir>', 'where to download (default: the current folder)', '.')
    .action(async (o, cmd) => {
      const t = target(o.name, o.version);
      const client = await cli.client(cmd);
      const where = await ops(client).download(t.name, t.version, o.downloadPath);
      cli.out(`downloaded ${word} '${t.name}'${t.version ? `:${t.version}` : ''} to ${where}`);
    });
  return c;
}

export const dataCommand = (cli: Cli): Command => assetCommand(cli, 'data');
export const modelCommand = (cli: Cli): Command => assetCommand(cli, 'model');
