import { basename } from 'node:path';
import type { Command } from 'commander';
import { CairnError } from '../protocol/errors.ts';
import { experimentNameFrom } from '../protocol/job-spec.ts';
import { isTerminal, type Job } from '../protocol/job.ts';
import type { CairnClient } from '../sdk/client.ts';
import type { LoadedJob } from '../sdk/job-file.ts';
import { submitJob } from '../sdk/submit.ts';
import type { Cli } from './context.ts';
import { JOB_COLUMNS, jobDetail } from './jobs-view.ts';
import { render } from './output.ts';
import { progressBar } from './progress.ts';
import { streamToTerminal, summary } from './stream-output.ts';

/** Follows a job to its end on the terminal; the exit status says whether it completed. `known`: the job as just created (saves asking for it). */
export async function follow(cli: Cli, client: CairnClient, name: string, since?: number, only?: { node?: string; rank?: number }, known?: Job): Promise<void> {
  let ranks: ((r: number) => boolean) | undefined;
  const job = known ?? (await client.getJob(name));
  if (job.type === 'sweep' || job.type === 'pipeline') return followSweep(cli, client, job);
  // A distributed job's lines say which process printed them, unless only one is shown.
  const distributed = (job.resources?.instance_count ?? 1) > 1 || job.distribution !== undefined || (job.attempts ?? []).some((a) => a.rank > 0);
  if (only?.rank !== undefined) ranks = (r) => r === only.rank;
  if (only?.node !== undefined) {
    // A node's lines are those of the ranks that ran on it (in any attempt).
    const on = new Set((job.attempts ?? []).filter((a) => a.node === only.node || a.node.endsWith(`:${only.node}`)).map((a) => a.rank));
    if (on.size === 0) throw new CairnError('NotFound', `job '${name}' has run on no node '${only.node}'; its nodes: ${[...new Set((job.attempts ?? []).map((a) => a.node))].join(', ') || 'none yet'}`);
    ranks = (r) => on.has(r) && (only.rank === undefined || r === only.rank);
  }
  // Ctrl-C stops following, not the job: say so, and how to come back to it.
  const onInterrupt = () => {
    cli.err(`\nstopped following; job ${name} keeps running\n${nextCommands(name, true)}`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const alreadySaid = (known?.environment_details?.warnings ?? []).map((w) => `warning: ${w}`);
    const final = await streamToTerminal(client, name, { since, ranks, labelRanks: distributed && only?.rank === undefined, summaryFollows: true, alreadySaid });
    cli.err(`${summary(final)}\n${nextCommands(name, false)}`);
    if (final.status !== 'Completed') process.exitCode = 1;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/**
 * What `job create` and `run` share: snapshot the code (and an inline environment's build folder)
 * and submit, then print the job or follow it. The server's warnings print as `warning: ...` on stderr.
 */
export async function submitAndShow(cli: Cli, cmd: Command, loaded: LoadedJob, stream: boolean, o: { brief?: boolean; forceRerun?: boolean } = {}): Promise<void> {
  // As az ml does: a job file without experiment_name goes to the experiment named after the folder it is submitted from.
  loaded.spec.experiment_name ??= experimentOfFolder(process.cwd());
  const client = await cli.client(cmd);
  const job = await submitJob(client, {
    spec: loaded.spec,
    codeDir: loaded.codeDir,
    environmentBuildDir: loaded.environmentBuildDir,
    inputPaths: loaded.inputPaths,
    stepCodeDirs: loaded.stepCodeDirs,
    stepBuildDirs: loaded.stepBuildDirs,
    forceRerun: o.forceRerun,
    snapshot: cli.snapshot,
    onWarning: (w) => cli.err(`warning: ${w}`),
    onProgress: progressBar(cli.env),
  });
  if (!stream && o.brief && cmd.optsWithGlobals().output === undefined) {
    return cli.out(`job ${job.name} submitted to ${job.compute} (${job.status})\n  follow it: cairn job stream -n ${job.name}\n  show it:   cairn job show -n ${job.name}`);
  }
  if (!stream) return cli.out(render(job, cli.format(cmd), JOB_COLUMNS, jobDetail));
  cli.err(`job ${job.name} submitted to ${job.compute}; streaming its output (Ctrl-C stops following, the job keeps running)`);
  await follow(cli, client, job.name, undefined, undefined, job);
}

/**
 * A sweep or a pipeline prints nothing itself: following it prints its progress each time it
 * changes (its trials' or steps' own output is theirs: `job stream -n CHILD`).
 */
async function followSweep(cli: Cli, client: CairnClient, job: Job): Promise<void> {
  let said = '';
  let j = job;
  for (;;) {
    const line = `${j.status}: ${j.status_reason ?? ''}`;
    if (line !== said) cli.err((said = line));
    if (isTerminal(j.status)) break;
    await new Promise((r) => setTimeout(r, 1000));
    j = await client.getJob(j.name);
  }
  const kids = j.type === 'sweep' ? 'its trials: ' : 'its steps:  ';
  cli.err(`${summary(j)}\n  show it:        cairn job show -n ${j.name}\n  ${kids}    cairn job list --parent ${j.name}${j.type === 'sweep' ? `\n  best trial:     cairn job download -n ${j.name} --best` : ''}`);
  if (j.status !== 'Completed') process.exitCode = 1;
}

/** The experiment a folder's jobs go to by default: its name, in the characters an experiment name takes. */
export const experimentOfFolder = (dir: string): string => experimentNameFrom(basename(dir)) ?? 'Default';

/** What to type next about a job: while it runs (after Ctrl-C), or once it has ended. */
function nextCommands(name: string, running: boolean): string {
  const lines = running
    ? [`  follow it again: cairn job stream -n ${name}`, `  cancel it:       cairn job cancel -n ${name}`]
    : [`  show it:        cairn job show -n ${name}`, `  its files:      cairn job download -n ${name}`];
  return lines.join('\n');
}
