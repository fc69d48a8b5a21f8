// What a test that drives jobs through the CLI and the API needs again and again: the CLI in a
// folder, a job as the API shows it, a bounded wait for its status, and its log lines.
import { json, runCli, waitFor, type TestServer } from './cairn.ts';

/** `server` is read on each call: tests start their server in before(). */
export function jobKit(server: () => TestServer, cwd: string) {
  const cli = (args: string[], timeoutMs = 120_000) => runCli(args, { env: server().cliEnv, cwd, timeoutMs });
  const job = async (name: string) => (await json(`${server().url}/api/v1/workspaces/default/jobs/${name}`)).body;
  const waitStatus = (name: string, statuses: string[], ms = 120_000) =>
    waitFor(`job ${name} to be ${statuses.join(' or ')}`, async () => {
      const j = await job(name);
      return statuses.includes(j.status) ? j : null;
    }, ms);
  const logs = async (name: string): Promise<string[]> => (await json(`${server().url}/api/v1/workspaces/default/jobs/${name}/logs`)).body.lines.map((l: { text: string }) => l.text);
  return { cli, job, waitStatus, logs };
}
