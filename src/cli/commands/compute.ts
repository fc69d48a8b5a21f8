import { Command } from 'commander';
import type { Cli } from '../context.ts';
import { render, type Column } from '../output.ts';

type ComputeView = { name: string; type: string; provisioning_state: string; nodes?: { state: string; slots: number; cpus?: number }[] };

const COLUMNS: Column<ComputeView>[] = [
  { header: 'Name', get: (c) => c.name },
  { header: 'Type', get: (c) => c.type },
  { header: 'State', get: (c) => c.provisioning_state },
  { header: 'Nodes', get: (c) => (c.nodes ?? []).map((n) => `${n.state}(${n.slots} slots)`).join(' ') },
];

/** Read-only until compute targets can be created and attached: `local` is always there. */
export function computeCommand(cli: Cli): Command {
  const compute = new Command('compute').description('compute targets (az ml compute); today: the built-in local compute');
  compute
    .command('list')
    .description('list compute targets')
    .action(async (_o, cmd) => {
      const client = await cli.client(cmd);
      cli.out(render(await client.json<ComputeView[]>('GET', `${client.url}/api/v1/workspaces/${client.workspace}/computes`), cli.format(cmd, 'table'), COLUMNS));
    });
  compute
    .command('show')
    .description('show a compute target and its nodes')
    .requiredOption('-n, --name <name>', 'compute name')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      cli.out(render(await client.json<ComputeView>('GET', `${client.url}/api/v1/workspaces/${client.workspace}/computes/${encodeURIComponent(o.name)}`), cli.format(cmd), COLUMNS));
    });
  return compute;
}
