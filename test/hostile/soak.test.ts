// A bounded soak: jobs are submitted and metrics logged while a seeded chaos loop SIGKILLs and
// SIGTERMs the server (restarting it on the same data folder) and SIGKILLs the local agent.
// Afterwards every acknowledged job has run exactly once (one marker line, attempt 1) and
// Completed, every acknowledged metric point is stored exactly once, and the server is healthy.
// SOAK_SEED=<the seed printed> replays a failing run's chaos schedule (the timing around it varies);
// SOAK_KEEP=1 keeps the data folder for a post-mortem.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer, json, waitFor } from '../helpers/cairn.ts';

const SOAK_MS = 45_000;
const ARGS = ['--max-concurrent-jobs', '4'];
const RUNS = 3;
const BATCH = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' } } as const;

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whether pid is (still) the local agent of this data folder: never a reused pid, never a zombie. */
function isAgentOf(server: TestServer, pid: number): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.includes(`CAIRN_AGENT_DIR=${join(server.dataDir, 'agents', 'local')}`);
  } catch {
    return false;
  }
}

/** The local agent's pid, while that process is still running. */
function agentOf(server: TestServer): number | null {
  const pid = server.agentPid();
  return pid && isAgentOf(server, pid) ? pid : null;
}

/** How many attempt folders the local agent keeps for a job (one per time it was started). */
function attemptDirs(server: TestServer, name: string): number {
  const dir = join(server.dataDir, 'agents', 'local', 'attempts');
  let n = 0;
  for (const id of readdirSync(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, id, 'state.json'), 'utf8')).assignment.job_name === name) n++;
    } catch {}
  }
  return n;
}

describe('soak: jobs and metrics through server and agent crashes', () => {
  const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rand = prng(seed); // the chaos schedule's own stream, so the seed replays the same actions
  const jitter = prng(seed + 1);
  let server = new TestServer({ args: ARGS });
  /** The address the loops use: '' while the server is down or restarting. */
  let url = '';

  after(async () => {
    await server.stop({ keepData: true });
    const agent = agentOf(server); // a server that died at the wrong moment leaves its agent behind
    if (agent) process.kill(agent, 'SIGKILL');
    if (process.env.SOAK_KEEP) console.log(`data folder kept: ${server.dataDir}`);
    else rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('no acknowledged job or metric point is lost or repeated', { timeout: 170_000 }, async () => {
    console.log(`soak seed ${seed} (rerun with SOAK_SEED=${seed})`);
    await server.start();
    await server.waitForAgent();
    url = server.url;

    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await json(`${url}/api/2.0/mlflow/runs/create`, { ...JSON_POST, body: JSON.stringify({ experiment_id: '0' }) });
      assert.equal(r.status, 200, `runs/create: ${JSON.stringify(r.body)}`);
      runIds.push(r.body.run.info.run_id);
    }

    const ackedJobs: string[] = [];
    const ackedSteps = new Map<string, number[]>(runIds.map((id) => [id, []]));
    const actions: string[] = [];
    const unacked = { jobs: 0, batches: 0 };
    const deadline = Date.now() + SOAK_MS;
    const at = () => new Date().toISOString().slice(11, 23);

    const submitter = async () => {
      for (let n = 0; Date.now() < deadline; n++) {
        const name = `soak-${n}`;
        // The marker ends in a nonce drawn by the job: one nonce twice is a log stored twice, two nonces a job run twice.
        const spec = { command: `echo ran ${name} nonce $RANDOM$RANDOM; sleep 0.$RANDOM`, name };
        try {
          if (!url) throw new Error('down');
          const r = await fetch(`${url}/api/v1/workspaces/default/jobs`, { ...JSON_POST, body: JSON.stringify({ spec }) });
          const text = await r.text();
          if (r.status === 201) ackedJobs.push(name);
          else {
            assert.ok(r.status >= 500, `a job submission is answered 201 or 5xx, not ${r.status}: ${text}`);
            unacked.jobs++;
          }
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          unacked.jobs++; // refused or reset while the server is down: not acknowledged
        }
        await sleep(150 + jitter() * 250);
      }
    };

    const logger = async (runId: string) => {
      for (let b = 0; Date.now() < deadline; b++) {
        const steps = Array.from({ length: BATCH }, (_, i) => b * BATCH + i);
        const now = Date.now();
        const body = JSON.stringify({ run_id: runId, metrics: steps.map((s) => ({ key: 'm', value: s, timestamp: now, step: s })), params: [], tags: [] });
        try {
          if (!url) throw new Error('down');
          const r = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, { ...JSON_POST, body });
          const text = await r.text();
          if (r.status === 200) ackedSteps.get(runId)!.push(...steps);
          else {
            assert.ok(r.status >= 500, `log-batch is answered 200 or 5xx, not ${r.status}: ${text}`);
            unacked.batches++;
          }
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          unacked.batches++; // never re-sent: its steps may or may not be stored
        }
        await sleep(20 + jitter() * 60);
      }
    };

    const restart = async (signal: 'SIGKILL' | 'SIGTERM') => {
      url = '';
      const agent = agentOf(server);
      const stopped = await Promise.race([server.kill(signal).then(() => true), sleep(20_000).then(() => false)]);
      if (!stopped) {
        await server.kill('SIGKILL');
        assert.fail(`the server did not exit within 20 s of ${signal}`);
      }
      if (signal === 'SIGTERM' && agent) {
        // An orderly stop takes the agent with it; the next server starts a new one.
        await waitFor('the old agent to leave after SIGTERM', async () => !isAgentOf(server, agent), 20_000);
      }
      await sleep(rand() * 1000);
      server = new TestServer({ dataDir: server.dataDir, args: ARGS });
      await server.start();
      url = server.url;
    };

    const chaos = async () => {
      await sleep(2000 + rand() * 2000);
      while (Date.now() < deadline - 3000 && actions.length < 10) {
        const pick = rand();
        if (pick < 0.35) {
          actions.push(`${at()} SIGKILL server`);
          await restart('SIGKILL');
        } else if (pick < 0.65) {
          actions.push(`${at()} SIGTERM server`);
          await restart('SIGTERM');
        } else {
          const agent = agentOf(server);
          actions.push(`${at()} SIGKILL agent${agent ? ` ${agent}` : ' (none running)'}`);
          if (agent) process.kill(agent, 'SIGKILL');
        }
        await sleep(2000 + rand() * 4000);
      }
    };

    await Promise.all([submitter(), chaos(), ...runIds.map(logger)]);
    const points = [...ackedSteps.values()].reduce((n, s) => n + s.length, 0);
    console.log(`chaos: ${actions.join(', ')}`);
    console.log(`acknowledged ${ackedJobs.length} jobs, ${points} points; not acknowledged: ${unacked.jobs} submissions, ${unacked.batches} batches`);
    assert.ok(ackedJobs.length > 0 && points > 0, 'the soak acknowledged some work');

    // The server is up (the chaos loop always leaves it started); every acknowledged job ends.
    assert.equal(server.proc?.exitCode, null, 'the server is running after the soak');
    const api = `${url}/api/v1/workspaces/default/jobs`;
    const jobs = new Map<string, any>();
    await waitFor(
      `every acknowledged job to end (${ackedJobs.length} jobs)`,
      async () => {
        for (const name of ackedJobs) {
          if (jobs.has(name)) continue;
          const r = await json(`${api}/${name}`).catch(() => null);
          if (r?.status === 200 && ['Completed', 'Failed', 'Canceled'].includes(r.body.status)) jobs.set(name, r.body);
        }
        return jobs.size === ackedJobs.length;
      },
      90_000,
    ).catch(async (err) => {
      const pending = [];
      for (const name of ackedJobs.filter((n) => !jobs.has(n)).slice(0, 10)) {
        const r = await json(`${api}/${name}`).catch((e) => ({ status: 0, body: String(e) }));
        pending.push(`${name}: ${r.status} ${r.status === 200 ? `${r.body.status} (${r.body.status_reason ?? ''})` : JSON.stringify(r.body)}`);
      }
      throw new Error(`${err.message}; still pending:\n${pending.join('\n')}`);
    });

    for (const name of ackedJobs) {
      const job = jobs.get(name);
      assert.equal(job.status, 'Completed', `acknowledged job ${name} ended ${job.status}: ${job.status_reason ?? '(no reason)'}`);
      assert.equal(job.attempt, 1, `acknowledged job ${name} ran as attempt ${job.attempt}, not once`);
      const logs = await json(`${api}/${name}/logs?after=0&limit=50000`);
      assert.equal(logs.status, 200, `logs of ${name}: ${JSON.stringify(logs.body)}`);
      const lines: { text: string; attempt: number; stream: string }[] = logs.body.lines;
      const markers = lines.filter((l) => l.text.startsWith(`ran ${name} nonce `));
      assert.equal(markers.length, 1, `job ${name}'s marker is stored ${markers.length} times (${attemptDirs(server, name)} attempt folders on disk; chaos: ${actions.join(', ')}); log: ${JSON.stringify(lines)}`);
      const attempts = [...new Set(lines.map((l) => l.attempt))];
      assert.deepEqual(attempts, [1], `job ${name} has log lines from attempts ${attempts.join(', ')}`);
    }

    for (const runId of runIds) {
      const steps: number[] = [];
      let token: string | undefined;
      do {
        const page = await json(`${url}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m&max_results=25000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
        assert.equal(page.status, 200, `get-history of ${runId}: ${JSON.stringify(page.body)}`);
        for (const m of page.body.metrics ?? []) steps.push(m.step);
        token = page.body.next_page_token;
      } while (token);
      const stored = new Set<number>();
      const dupes = new Set<number>();
      for (const s of steps) (stored.has(s) ? dupes : stored).add(s);
      assert.equal(dupes.size, 0, `run ${runId}: steps stored twice: ${[...dupes].slice(0, 20).join(', ')}`);
      const lost = ackedSteps.get(runId)!.filter((s) => !stored.has(s));
      assert.equal(lost.length, 0, `run ${runId}: ${lost.length} acknowledged steps are missing, e.g. ${lost.slice(0, 20).join(', ')}`);
    }

    const health = await fetch(`${url}/api/v1/health`);
    assert.equal(health.status, 200, `health at the end: ${await health.text()}`);
  });
});
