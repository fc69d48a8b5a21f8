import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TestServer, tempDir, waitFor, pidAlive } from './helpers/cairn.ts';

/** A job that prints numbered lines for a while, so a crash lands in the middle of it. */
const COUNTER = (n: number, sleep: number) => `command: for i in $(seq 0 ${n - 1}); do echo "line $i"; sleep ${sleep}; done\n`;

async function show(server: TestServer, name: string) {
  const r = await runCli(['job', 'show', '-n', name, '-o', 'json'], { env: server.cliEnv });
  return r.code === 0 ? JSON.parse(r.stdout) : null;
}

async function stdoutLines(server: TestServer, name: string): Promise<string[]> {
  const r = await fetch(`${server.url}/api/v1/workspaces/default/jobs/${name}/logs?after=0&limit=50000`).then((x) => x.json());
  return r.lines.filter((l: { stream: string }) => l.stream === 'stdout').map((l: { text: string }) => l.text);
}

const expected = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`);

describe('nothing lost on a crash', () => {
  const server = new TestServer();
  const work = tempDir('crash');
  const create = async (name: string, yaml: string) => {
    const f = join(work, `${name}.yml`);
    (await import('node:fs')).writeFileSync(f, `${yaml}name: ${name}\n`);
    const r = await runCli(['job', 'create', '-f', f], { env: server.cliEnv });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    await server.start();
    await server.waitForAgent();
  });
  after(() => server?.stop());

  it('SIGKILL of the server mid-job: the job completes with every line stored exactly once', async () => {
    await create('survives-server', COUNTER(40, 0.05));
    await waitFor('some output', async () => (await stdoutLines(server, 'survives-server')).length >= 5);
    await server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000)); // the job keeps printing while no server listens
    await server.start();
    const job = await waitFor('completion', async () => {
      const j = await show(server, 'survives-server');
      return j?.status === 'Completed' && j;
    });
    assert.equal(job.exit_code, 0);
    assert.deepEqual(await stdoutLines(server, 'survives-server'), expected(40));
  });

  it('SIGKILL of the agent mid-job: a new agent resumes it, lines exactly once', async () => {
    await create('survives-agent', COUNTER(40, 0.05));
    await waitFor('some output', async () => (await stdoutLines(server, 'survives-agent')).length >= 5);
    const agent = server.agentPid()!;
    process.kill(agent, 'SIGKILL');
    const job = await waitFor('completion', async () => {
      const j = await show(server, 'survives-agent');
      return j?.status === 'Completed' && j;
    });
    assert.notEqual(server.agentPid(), agent, 'the server started a new agent');
    assert.equal(job.exit_code, 0);
    assert.deepEqual(await stdoutLines(server, 'survives-agent'), expected(40));
  });

  it('a silent agent makes its jobs NotResponding, with a reason, until it is back', async () => {
    await create('agent-stalls', COUNTER(60, 0.05));
    await waitFor('some output', async () => (await stdoutLines(server, 'agent-stalls')).length >= 3);
    const agent = server.agentPid()!;
    process.kill(agent, 'SIGSTOP');
    try {
      const stalled = await waitFor('NotResponding', async () => {
        const j = await show(server, 'agent-stalls');
        return j?.status === 'NotResponding' && j;
      });
      assert.match(stalled.status_reason, /the agent on node 'local' has not been heard from since/);
    } finally {
      process.kill(agent, 'SIGCONT');
    }
    const job = await waitFor('completion', async () => {
      const j = await show(server, 'agent-stalls');
      return j?.status === 'Completed' && j;
    });
    assert.deepEqual(await stdoutLines(server, 'agent-stalls'), expected(60));
    assert.ok(job.history.some((h: { status: string; reason: string }) => h.status === 'Running' && /is back/.test(h.reason ?? '')));
  });

  it('a job whose processes died while nothing watched them ends Failed with that reason', async () => {
    await create('dies-unwatched', COUNTER(1000, 0.05));
    await waitFor('some output', async () => (await stdoutLines(server, 'dies-unwatched')).length >= 3);
    await server.kill('SIGKILL');
    const agent = server.agentPid()!;
    process.kill(agent, 'SIGKILL');
    // Kill the job and its supervisor while no agent and no server watch.
    const attempts = join(server.dataDir, 'agents', 'local', 'attempts');
    for (const id of readdirSync(attempts)) {
      const state = JSON.parse(readFileSync(join(attempts, id, 'state.json'), 'utf8'));
      if (state.assignment.job_name !== 'dies-unwatched') continue;
      const pgid = Number(readFileSync(join(attempts, id, 'pgid'), 'utf8'));
      process.kill(state.shim_pid, 'SIGKILL');
      process.kill(-pgid, 'SIGKILL');
      await waitFor('processes gone', async () => !pidAlive(pgid) && !pidAlive(state.shim_pid));
    }
    await server.start();
    const job = await waitFor('failure', async () => {
      const j = await show(server, 'dies-unwatched');
      return j?.status === 'Failed' && j;
    });
    assert.match(job.status_reason, /ended while no agent was watching them; the exit status is unknown/);
    const lines = await stdoutLines(server, 'dies-unwatched');
    assert.deepEqual(lines, expected(lines.length)); // what it printed is kept, once, in order
  });
});
