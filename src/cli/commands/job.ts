import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { isTerminal } from '../../protocol/job.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import { loadJobFile } from '../../sdk/job-file.ts';
import type { Cli } from '../context.ts';
import { JOB_COLUMNS, jobDetail } from '../jobs-view.ts';
import { humanBytes, render } from '../output.ts';
import { parseSince } from '../stream-output.ts';
import { follow, submitAndShow } from '../submit.ts';

const collect = (v: string, prev: string[]) => [...prev, v];
const nameOpt = () => new Option('-n, --name <name>', 'job name').makeOptionMandatory();

export function jobCommand(cli: Cli): Command {
  const job = new Command('job').description('submit and follow jobs (az ml job)');

  job
    .command('create')
    .description('create a job from an Azure ML v2 YAML file')
    .requiredOption('-f, --file <path>', 'job YAML file')
    .option('--set <key=value>', 'override a field, e.g. --set inputs.lr=0.1 (repeatable)', collect, [])
    .option('-n, --name <name>', 'job name (default: from the file, else generated)')
    .option('--stream', 'follow the job output until it ends; exit non-zero unless it completed')
    .action(async (o, cmd) => {
      const loaded = loadJobFile(o.file, o.set);
      if (o.name) loaded.spec.name = o.name;
      await submitAndShow(cli, cmd, loaded.spec, loaded.codeDir, Boolean(o.stream));
    });

  job
    .command('show')
    .description('show a job: status, history with reasons, times, exit code, snapshot and git facts')
    .addOption(nameOpt())
    .action(async (o, cmd) => {
      const j = await (await cli.client(cmd)).getJob(o.name);
      cli.out(render(j, cli.format(cmd), JOB_COLUMNS, jobDetail));
    });

  job
    .command('list')
    .description('list jobs, newest first')
    .option('--all', 'list every job (default: the latest 50)')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. Running,Queued)')
    .option('--experiment-name <name>', 'only jobs of this experiment')
    .option('--compute <name>', 'only jobs on this compute')
    .option('--max-results <n>', 'at most this many', (v) => Number.parseInt(v, 10))
    .action(async (o, cmd) => {
      const jobs = await (await cli.client(cmd)).listJobs({ all: o.all, status: o.status, experiment_name: o.experimentName, compute: o.compute?.replace(/^azureml:/, ''), max_results: o.maxResults });
      cli.out(render(jobs, cli.format(cmd, 'table'), JOB_COLUMNS));
    });

  job
    .command('stream')
    .description("print a job's output from the start and follow it until the job ends")
    .addOption(nameOpt())
    .option('--since <time>', 'only lines from this time (ISO time, or 30s, 10m, 2h, 1d ago)')
    .action(async (o, cmd) => {
      const since = parseSince(o.since);
      await follow(cli, await cli.client(cmd), o.name, since);
    });

  job
    .command('cancel')
    .description('cancel a job (SIGTERM to its processes, SIGKILL after a grace period)')
    .addOption(nameOpt())
    .action(async (o, cmd) => {
      const j = await (await cli.client(cmd)).cancelJob(o.name);
      cli.out(render(j, cli.format(cmd), JOB_COLUMNS, jobDetail));
    });

  job
    .command('download')
    .description("download a job's outputs and logs to <download-path>/<job name>/")
    .addOption(nameOpt())
    .option('--all', 'outputs and logs (the default)')
    .option('--outputs', 'only the outputs/ folder')
    .option('--logs', 'only the logs')
    .option('--download-path <dir>', 'where to put them', '.')
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const j = await client.getJob(o.name);
      const both = o.all || (!o.outputs && !o.logs);
      const root = resolve(o.downloadPath, j.name);
      let files = 0;
      let bytes = 0;
      if (both || o.outputs) {
        for (const a of await client.artifacts(j.name)) {
          const dest = join(root, checkRelativePath(a.path, 'artifact path'));
          mkdirSync(dirname(dest), { recursive: true });
          const data = await client.artifactContent(j.name, a.path);
          writeFileSync(dest, data);
          files++;
          bytes += data.length;
        }
      }
      if (both || o.logs) {
        const lines = await client.logs(j.name);
        mkdirSync(join(root, 'logs'), { recursive: true });
        const write = (file: string, keep: (s: string) => boolean) => {
          const text = lines.filter((l) => keep(l.stream)).map((l) => `${l.text}\n`).join('');
          writeFileSync(join(root, 'logs', file), text);
          files++;
          bytes += Buffer.byteLength(text);
        };
        write('std_log.txt', () => true);
        write('stdout.txt', (s) => s === 'stdout');
        write('stderr.txt', (s) => s === 'stderr');
      }
      if (!isTerminal(j.status)) cli.err(`note: job ${j.name} is still ${j.status}; outputs are collected when it ends`);
      cli.err(`downloaded ${files} files (${humanBytes(bytes)}) to ${root}`);
    });

  return job;
}
