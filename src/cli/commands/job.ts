import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { COMMAND_HELP } from './help.ts';
import { isTerminal } from '../../protocol/job.ts';
import { loadJobFile } from '../../sdk/job-file.ts';
import type { Cli } from '../context.ts';
import { JOB_COLUMNS, jobDetail } from '../jobs-view.ts';
import { humanBytes, render } from '../output.ts';
import { CairnError } from '../../protocol/errors.ts';
import { downloadJob, downloadSelection, LOG_LAYOUT } from '../download.ts';
import { bucketsCsv, bucketsTable, latestCsv, latestTable, parseMetricsFormat, seriesCsv, seriesJson, seriesTable, trackingDetail } from '../metrics-view.ts';
import { parseSince, summary } from '../stream-output.ts';
import { follow, submitAndShow } from '../submit.ts';

const collect = (v: string, prev: string[]) => [...prev, v];
function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new CairnError('ValidationError', `${flag}: expected a positive whole number, got '${v}'`);
  return n;
}
const nameOpt = () => new Option('-n, --name <name>', 'job name (or give it as the first argument)');

/** `cairn job show NAME` as well as `-n NAME` (az ml takes only -n; people type the name). */
function jobName(o: { name?: string }, arg: string | undefined): string {
  if (o.name && arg && o.name !== arg) throw new CairnError('ValidationError', `two job names given ('${arg}' and -n '${o.name}'): give one`);
  const name = o.name ?? arg;
  if (!name) throw new CairnError('ValidationError', "which job? give its name: -n NAME (or as the first argument)");
  return name;
}

export function jobCommand(cli: Cli): Command {
  const job = new Command('job').description(COMMAND_HELP.job.description);

  job
    .command('create')
    .description(
      'create a job from an Azure ML v2 YAML file: a command job, a sweep (type: sweep: trial, search_space, sampling_algorithm random|grid|bayesian, ' +
        'objective, early_termination bandit|median_stopping|truncation_selection, limits), or a pipeline (type: pipeline: jobs of inline commands or ' +
        'components, bound with ${{parent.inputs.X}} and ${{parent.jobs.STEP.outputs.Y}}; unchanged steps are reused). environment: names a registered one (azureml:NAME:VERSION, NAME@latest) or is written inline ' +
        '(image, conda_file, build); an inline conda_file path and build.path are relative to the YAML file, and a build folder is uploaded like code',
    )
    .requiredOption('-f, --file <path>', 'job YAML file')
    .option('--set <key=value>', 'override a field, e.g. --set inputs.lr=0.1 (repeatable)', collect, [])
    .option('-n, --name <name>', 'job name (default: from the file, else generated)')
    .option('--stream', 'follow the job output until it ends; exit non-zero unless it completed')
    .option('--force-rerun', 'a pipeline: run every step, reusing none (as settings.force_rerun)')
    .action(async (o, cmd) => {
      const loaded = loadJobFile(o.file, o.set);
      if (o.name) loaded.spec.name = o.name;
      if (o.forceRerun && loaded.spec.type !== 'pipeline') throw new CairnError('ValidationError', '--force-rerun is for pipeline jobs: a command job or a sweep always runs');
      await submitAndShow(cli, cmd, loaded, Boolean(o.stream), { forceRerun: Boolean(o.forceRerun) });
    });

  job
    .command('show')
    .argument('[name]', 'the job (same as -n)')
    .description(
      'show a job: status, history with reasons, times, exit code, snapshot, git facts, collected outputs, data inputs with the asset versions they read, named outputs with the assets they became, and its MLflow run: ' +
        "params, tags and each metric's last value with its step (-o json/yaml: a `tracking` field with every tag; " +
        '-o table: params, metrics (last value) and tags sections, system tags (mlflow.*, cairn.*) left out)',
    )
    .addOption(nameOpt())
    .action(async (arg: string | undefined, o, cmd) => {
      o.name = jobName(o, arg);
      const client = await cli.client(cmd);
      const [j, tracking] = await Promise.all([client.getJob(o.name), client.jobMetrics(o.name)]);
      cli.out(render({ ...j, tracking }, cli.format(cmd), JOB_COLUMNS, (x) => [jobDetail(x), trackingDetail(tracking)].filter(Boolean).join('\n\n')));
    });

  job
    .command('metrics')
    .argument('[name]', 'the job (same as -n)')
    .description(
      "a job's metrics (its MLflow run's). Without --key: the last value, step and time of each metric " +
        '(-o table, json {key: {value, step, timestamp}}, yaml, or csv key,value,step,timestamp). ' +
        'With --key: every point of those series in logging order, all pages fetched ' +
        '(csv key,step,timestamp,value; json {key: [{step, timestamp, value}]}). With --key and --buckets N: ' +
        'at most N step buckets per metric, each with count, min, max and last value (csv key,start_step,end_step,count,min,max,last,last_step). ' +
        'Timestamps are milliseconds since 1970; values may be NaN, Infinity or -Infinity',
    )
    .addOption(nameOpt())
    .option('--key <keys>', 'print every point of these metrics (comma-separated or repeatable); an unknown key is an error', (v: string, prev: string[] = []) => [...prev, v])
    .option('--buckets <n>', 'with --key: downsample each series to at most n step buckets instead of printing every point', (v) => positiveInt(v, '--buckets'))
    .action(async (arg: string | undefined, o, cmd) => {
      o.name = jobName(o, arg);
      const format = parseMetricsFormat(cmd.optsWithGlobals().output);
      const client = await cli.client(cmd);
      const tracking = await client.jobMetrics(o.name);
      const known = (k: string) => Object.hasOwn(tracking.metrics, k);
      // A metric whose name has a comma in it can still be asked for whole.
      const given: string[] = o.key ?? [];
      const keys = [...new Set(given.flatMap((k) => (known(k) ? [k] : k.split(',').map((x) => x.trim()).filter(Boolean))))];
      if (given.length && !keys.length) throw new CairnError('ValidationError', '--key: expected a metric name');
      if (!keys.length) {
        if (o.buckets !== undefined) throw new CairnError('ValidationError', '--buckets needs --key: say which metrics to downsample');
        cli.out(format === 'csv' ? latestCsv(tracking) : format === 'table' ? latestTable(tracking) : render<object>(tracking.metrics, format, []));
        return;
      }
      const unknown = keys.filter((k) => !known(k));
      if (unknown.length) {
        const names = Object.keys(tracking.metrics);
        const what = unknown.length === 1 ? `metric '${unknown[0]}'` : `metrics ${unknown.map((k) => `'${k}'`).join(', ')}`;
        throw new CairnError('NotFound', `job '${o.name}' has no ${what}; its metrics: ${names.join(', ') || 'none'}`);
      }
      if (o.buckets !== undefined) {
        const all = await Promise.all(keys.map((k) => client.metricBuckets(o.name, k, { buckets: o.buckets })));
        cli.out(format === 'csv' ? bucketsCsv(all) : format === 'table' ? bucketsTable(all) : render<object>(Object.fromEntries(all.map((b) => [b.key, b.buckets])), format, []));
        return;
      }
      const series = await Promise.all(keys.map((key) => client.metricSeriesAll(o.name, key)));
      cli.out(format === 'csv' ? seriesCsv(series) : format === 'table' ? seriesTable(series) : render<object>(seriesJson(series), format, []));
    });

  job
    .command('list')
    .description('list jobs, newest first')
    .option('--all', 'list every job (default: the latest 50)')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. Running,Queued)')
    .option('--experiment-name <name>', 'only jobs of this experiment')
    .option('--compute <name>', 'only jobs on this compute')
    .option('--parent <job>', "the trials of this sweep or the steps of this pipeline (without it, they are left out: the parent's `job show` lists them)")
    .option('--max-results <n>', 'at most this many', (v) => Number.parseInt(v, 10))
    .action(async (o, cmd) => {
      const jobs = await (await cli.client(cmd)).listJobs({ all: o.all, status: o.status, experiment_name: o.experimentName, compute: o.compute?.replace(/^azureml:/, ''), max_results: o.maxResults, parent: o.parent });
      cli.out(render(jobs, cli.format(cmd, 'table'), JOB_COLUMNS));
    });

  job
    .command('stream')
    .argument('[name]', 'the job (same as -n)')
    .description("print a job's output from the start and follow it until the job ends")
    .addOption(nameOpt())
    .option('--since <time>', 'only lines from this time (ISO time, or 30s, 10m, 2h, 1d ago)')
    .option('--node <node>', 'a distributed job: only the lines of the processes on this node')
    .option('--rank <n>', 'a distributed job: only the lines of this process (its global rank)', (v) => Number.parseInt(v, 10))
    .action(async (arg: string | undefined, o, cmd) => {
      o.name = jobName(o, arg);
      const since = parseSince(o.since);
      await follow(cli, await cli.client(cmd), o.name, since, { node: o.node, rank: o.rank });
    });

  job
    .command('cancel')
    .argument('[name]', 'the job (same as -n)')
    .description('cancel a job (SIGTERM to its processes, SIGKILL after a grace period)')
    .addOption(nameOpt())
    .action(async (arg: string | undefined, o, cmd) => {
      o.name = jobName(o, arg);
      const j = await (await cli.client(cmd)).cancelJob(o.name);
      // A short answer unless a format is asked for: the whole job (with its package list) is `job show`'s.
      if (cmd.optsWithGlobals().output === undefined) return cli.out(`${summary(j)}\n  follow it: cairn job stream -n ${j.name}\n  show it:   cairn job show -n ${j.name}`);
      cli.out(render(j, cli.format(cmd), JOB_COLUMNS, jobDetail));
    });

  job
    .command('download')
    .argument('[name]', 'the job (same as -n)')
    .description(
      "download a job's files to <download-path>/<job name>/, overwriting files already there. Artifacts keep their paths: " +
        "outputs/... from the job's outputs folder, any other path logged through MLflow or the cairn module; each is checked " +
        `against its sha256. Logs: ${LOG_LAYOUT}. Prints the number of files and bytes written (to stderr)`,
    )
    .addOption(nameOpt())
    .option('--all', 'every artifact and the logs (the default when no flag is given)')
    .option('--outputs', "only the job's outputs/ folder (with --logs: outputs and logs)")
    .option('--logs', 'only the logs (with --outputs: outputs and logs)')
    .option('--download-path <dir>', 'the folder to download into', '.')
    .option('--best', "a sweep: download its best trial's files (by the objective) instead, to <download-path>/<trial name>/")
    .option('--output-name <name>', "only this named output, to <download-path>/<job name>/outputs/<name>; a pipeline's output is read from the step that made it")
    .action(async (arg: string | undefined, o, cmd) => {
      o.name = jobName(o, arg);
      const client = await cli.client(cmd);
      let j = await client.getJob(o.name);
      if (o.best) {
        if (j.type !== 'sweep') throw new CairnError('ValidationError', `--best: job '${j.name}' is a command job, not a sweep`);
        if (!j.sweep?.best) throw new CairnError('NotFound', `sweep '${j.name}' has no best trial yet: no trial has logged '${j.sweep?.objective.primary_metric}'`);
        cli.err(`best trial of ${j.name}: ${j.sweep.best.name} (${j.sweep.objective.primary_metric} ${j.sweep.best.value})`);
        j = await client.getJob(j.sweep.best.name);
      }
      const root = resolve(o.downloadPath, j.name);
      const warn = (w: string) => cli.err(`warning: ${w}`);
      let files = 0;
      let bytes = 0;
      if (j.type === 'pipeline') {
        // A pipeline's files are its outputs, each the output of the step bound to it.
        const outputs = j.pipeline?.outputs ?? [];
        if (!outputs.length) throw new CairnError('ValidationError', `pipeline '${j.name}' declares no outputs; download a step's job instead (cairn job list --parent ${j.name})`);
        const want = o.outputName ? outputs.filter((x) => x.name === o.outputName) : outputs;
        if (!want.length) throw new CairnError('NotFound', `pipeline '${j.name}' has no output '${o.outputName}' (it has: ${outputs.map((x) => x.name).join(', ')})`);
        for (const out of want) {
          if (!out.job_name) {
            if (o.outputName) throw new CairnError('NotFound', `pipeline '${j.name}' has not made output '${out.name}' yet: step '${out.step}' has not completed`);
            warn(`output '${out.name}' is not made yet: step '${out.step}' has not completed`);
            continue;
          }
          const got = await downloadJob(client, out.job_name, root, { artifacts: 'outputs', logs: false, output: { from: out.output, as: out.name } }, warn);
          files += got.files;
          bytes += got.bytes;
        }
      } else {
        const sel = o.outputName ? { artifacts: 'outputs' as const, logs: false, output: { from: o.outputName, as: o.outputName } } : downloadSelection(o);
        const names = (j.named_outputs ?? []).map((x) => x.name);
        if (o.outputName && !names.includes(o.outputName)) throw new CairnError('NotFound', `job '${j.name}' has no output '${o.outputName}'${names.length ? ` (it has: ${names.join(', ')})` : ' (it has none)'}`);
        // A pipeline step that was reused ran nothing: the job it was reused from holds its files.
        const reusedFrom = j.child && 'reused_from' in j.child ? j.child.reused_from : undefined;
        if (reusedFrom) cli.err(`step ${j.name} was reused from ${reusedFrom}: downloading that job's files`);
        ({ files, bytes } = await downloadJob(client, reusedFrom ?? j.name, root, sel, warn));
      }
      if (!isTerminal(j.status)) cli.err(`note: job ${j.name} is still ${j.status}; outputs are collected when it ends, and its log is so far`);
      cli.err(`downloaded ${files} ${files === 1 ? 'file' : 'files'} (${humanBytes(bytes)}) to ${root}`);
    });

  return job;
}
