import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { isTerminal } from '../../protocol/job.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import { loadJobFile } from '../../sdk/job-file.ts';
import type { Cli } from '../context.ts';
import { JOB_COLUMNS, jobDetail } from '../jobs-view.ts';
import { humanBytes, render } from '../output.ts';
import { CairnError } from '../../protocol/errors.ts';
import { bucketsCsv, bucketsTable, latestCsv, latestTable, seriesCsv, seriesJson, seriesTable, trackingDetail } from '../metrics-view.ts';
import { parseSince } from '../stream-output.ts';
import { follow, submitAndShow } from '../submit.ts';

const collect = (v: string, prev: string[]) => [...prev, v];
function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new CairnError('ValidationError', `${flag}: expected a positive whole number, got '${v}'`);
  return n;
}
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
    .description('show a job: status, history with reasons, times, exit code, snapshot, git facts, params, metrics and tags')
    .addOption(nameOpt())
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const [j, tracking] = await Promise.all([client.getJob(o.name), client.jobMetrics(o.name)]);
      cli.out(render({ ...j, tracking }, cli.format(cmd), JOB_COLUMNS, (x) => [jobDetail(x), trackingDetail(tracking)].filter(Boolean).join('\n\n')));
    });

  job
    .command('metrics')
    .description("a job's metrics: the last value of each, or with --key every point of those series (-o table|json|csv)")
    .addOption(nameOpt())
    .option('--key <keys>', 'print every point of these metrics (comma-separated or repeatable)', collect, [])
    .option('--buckets <n>', 'with --key: min, max and last value per step bucket instead of every point', (v) => positiveInt(v, '--buckets'))
    .action(async (o, cmd) => {
      const client = await cli.client(cmd);
      const raw = cmd.optsWithGlobals().output as string | undefined;
      const format = raw?.toLowerCase() === 'csv' ? 'csv' : cli.format(cmd, 'table');
      const tracking = await client.jobMetrics(o.name);
      const keys = (o.key as string[]).flatMap((k) => k.split(',')).map((k) => k.trim()).filter(Boolean);
      if (!keys.length) {
        if (o.buckets !== undefined) throw new CairnError('ValidationError', '--buckets needs --key: say which metrics to downsample');
        cli.out(format === 'csv' ? latestCsv(tracking) : format === 'table' ? latestTable(tracking) : render<object>(tracking.metrics, format, []));
        return;
      }
      for (const k of keys) {
        if (!(k in tracking.metrics)) {
          const known = Object.keys(tracking.metrics);
          throw new CairnError('NotFound', `job '${o.name}' has no metric '${k}'; its metrics: ${known.join(', ') || 'none'}`);
        }
      }
      if (o.buckets !== undefined) {
        const all = await Promise.all(keys.map((k) => client.metricBuckets(o.name, k, { buckets: o.buckets })));
        cli.out(format === 'csv' ? bucketsCsv(all) : format === 'table' ? bucketsTable(all) : render<object>(Object.fromEntries(all.map((b) => [b.key, b.buckets])), format, []));
        return;
      }
      const series = await Promise.all(keys.map(async (key) => ({ key, ...(await client.metricSeriesAll(o.name, key)) })));
      cli.out(format === 'csv' ? seriesCsv(series) : format === 'table' ? seriesTable(series) : render<object>(seriesJson(series), format, []));
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
    .description(
      "download a job's artifacts and logs to <download-path>/<job name>/: artifacts keep their paths (outputs/... from the job's folder, " +
        'other paths logged through MLflow or the cairn module); logs go to logs/std_log.txt (both streams), logs/stdout.txt and logs/stderr.txt',
    )
    .addOption(nameOpt())
    .option('--all', 'every artifact and the logs (the default)')
    .option('--outputs', "only the job's outputs/ folder")
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
          if (o.outputs && !both && !a.path.startsWith('outputs/')) continue;
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
