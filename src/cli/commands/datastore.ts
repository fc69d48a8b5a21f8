import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import type { Datastore } from '../../protocol/data.ts';
import { parseYamlDocument, readYamlFile } from '../../sdk/yaml-file.ts';
import type { Cli } from '../context.ts';
import { DATASTORE_COLUMNS } from '../data-view.ts';
import { render, type Format } from '../output.ts';

/** `az ml datastore`: the places inputs read from and outputs write to. */
export function datastoreCommand(cli: Cli): Command {
  const c = new Command('datastore').description(COMMAND_HELP.datastore.description);
  const print = (cmd: Command, v: Datastore | Datastore[], fallback: Format) => cli.out(render(v, cli.format(cmd, fallback), DATASTORE_COLUMNS));

  c.command('create')
    .description(
      'register a datastore (az ml datastore create) from a YAML file: type local_folder (path: a folder on the server), sftp (host, port, path, credentials: username and password or private_key, host_key) ' +
        'or s3 (endpoint, bucket, region, prefix, credentials: access_key_id and secret_access_key). It is reached once now: one that cannot be reached, or refuses its credentials, is refused. ' +
        'Credentials are sealed on the server and never shown again. The same name again replaces it (default -o json)',
    )
    .requiredOption('-f, --file <path>', 'datastore YAML file')
    .option('-n, --name <name>', 'name (overrides the file)')
    .action(async (o, cmd) => {
      const spec = (parseYamlDocument(readYamlFile(o.file, 'datastore'), o.file).doc.toJSON() ?? {}) as Record<string, unknown>;
      if (o.name) spec.name = o.name;
      const client = await cli.client(cmd);
      print(cmd, await client.datastores.create(spec), 'json');
    });

  c.command('show')
    .description('show a datastore (az ml datastore show): its kind and location; credentials by kind only (default -o json)')
    .addOption(new Option('-n, --name <name>', 'datastore name').makeOptionMandatory())
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.datastores.get(o.name), 'json');
    });

  c.command('list')
    .description('list datastores (az ml datastore list), workspaceblobstore first (default -o table)')
    .action(async (_o, cmd) => {
      const client = await cli.client(cmd);
      print(cmd, await client.datastores.list(), 'table');
    });

  c.command('delete')
    .description('delete a datastore registration (az ml datastore delete); what it holds is left as it is')
    .addOption(new Option('-n, --name <name>', 'datastore name').makeOptionMandatory())
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      await client.datastores.delete(o.name);
      cli.out(`deleted datastore '${o.name}'`);
    });
  return c;
}
