import type { Command } from 'commander';
import type { CairnClient } from '../sdk/client.ts';
import type { LoadedJob } from '../sdk/job-file.ts';
import { submitJob } from '../sdk/submit.ts';
import type { Cli } from './context.ts';
import { JOB_COLUMNS, jobDetail } from './jobs-view.ts';
import { render } from './output.ts';
import { progressBar } from './progress.ts';
import { streamToTerminal, summary } from './stream-output.ts';

/** Follows a job to its end on the terminal; the exit status says whether it completed. */
export async function follow(cli: Cli, client: CairnClient, name: string, since?: number): Promise<void> {
  const final = await streamToTerminal(client, name, { since });
  cli.err(summary(final));
  if (final.status !== 'Completed') process.exitCode = 1;
}

/**
 * What `job create` and `run` share: snapshot the code (and an inline environment's build folder)
 * and submit, then print the job or follow it. The server's warnings print as `warning: ...` on stderr.
 */
export async function submitAndShow(cli: Cli, cmd: Command, loaded: LoadedJob, stream: boolean): Promise<void> {
  const client = await cli.client(cmd);
  const job = await submitJob(client, {
    spec: loaded.spec,
    codeDir: loaded.codeDir,
    environmentBuildDir: loaded.environmentBuildDir,
    snapshot: cli.snapshot,
    onWarning: (w) => cli.err(`warning: ${w}`),
    onProgress: progressBar(cli.env),
  });
  if (!stream) return cli.out(render(job, cli.format(cmd), JOB_COLUMNS, jobDetail));
  cli.err(`job ${job.name} submitted to ${job.compute}; streaming its output (Ctrl-C stops following, the job keeps running)`);
  await follow(cli, client, job.name);
}
