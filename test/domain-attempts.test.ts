// endRank on its own, against a real SQLite store: a succeeded job's outputs are registered before
// its last rank is marked ended, so a server that dies in the middle leaves the rank open (the
// agent reports again) instead of a job stuck with every rank ended; a server that dies after the
// rank's end but before the job's move has the job moved by the report sent again; otherwise a
// report sent again is a no-op.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../src/store/index.ts';
import { EventHub } from '../src/domain/events.ts';
import { endRank } from '../src/domain/attempts.ts';
import type { JobRow } from '../src/store/jobs.ts';
import { tempDir } from './helpers/cairn.ts';

const AT = '2026-12-01T00:00:00.000Z';

async function seed(store: Store, name: string) {
  const id = `${name}-id`;
  await store.resources.ensureWorkspace('default', AT);
  await store.jobs.insert(
    {
      id, workspace: 'default', name, display_name: name, experiment_name: 'e', compute: 'local', status: 'Running', status_reason: null,
      spec: JSON.stringify({ command: 'true' }), snapshot_id: null, git: null, created_at: AT, created_by: 't', start_time: AT, end_time: null,
      exit_code: null, attempt: 1, node: 'local', cancel_requested: 0, lease_owner: null, lease_until: null, queued_at_ms: 1, environment: null,
      environment_record: null, priority: 2, instance_count: 1, max_retries: 3, wait_code: null, data: null,
    },
    'submitted',
    AT,
  );
  await store.jobs.insertAttempt({ id: `${name}-a1`, job_id: id, number: 1, node: 'local', state: 'running', assignment: '{}', assigned_at: AT, ended_at: null, outcome: null, exit_code: null, reason: null, rank: 0, world_size: 1, stop: null });
  return { jobId: id, attempt: async () => (await store.jobs.getAttempt(`${name}-a1`))! };
}

const ended = { at: AT, outcome: 'succeeded', exit_code: 0, reason: 'command exited with code 0' };

describe('endRank and output registration', () => {
  it('registers before the rank ends: a crash in between leaves the rank open, and the report again completes the job once', async () => {
    const store = await Store.open(`sqlite:${join(tempDir('domain-attempts'), 'cairn.db')}`);
    const events = new EventHub();
    try {
      const { jobId, attempt } = await seed(store, 'outputs-job');
      const seen: string[] = [];
      const dying = { beforeCompleted: async (j: JobRow) => (seen.push(j.id), Promise.reject(new Error('server died while registering'))) };
      await assert.rejects(endRank(store, events, await attempt(), ended, dying), /server died/);
      assert.equal((await attempt()).state, 'running', 'the rank is still open: the agent will report again');
      assert.equal((await store.jobs.getById(jobId))!.status, 'Running');

      const working = { beforeCompleted: async (j: JobRow) => (seen.push(j.id), null) };
      assert.equal(await endRank(store, events, await attempt(), ended, working), true);
      assert.equal((await store.jobs.getById(jobId))!.status, 'Completed');
      assert.equal(seen.length, 2, 'registered once more, not twice on the same report');

      assert.equal(await endRank(store, events, await attempt(), ended, working), false, 'a report sent again is a no-op');
      assert.equal(seen.length, 2, 'nor does it register again');
    } finally {
      await store.close();
    }
  });

  it('a server that died after ending the rank but before moving the job: the report sent again completes the job, once', async () => {
    const store = await Store.open(`sqlite:${join(tempDir('domain-attempts'), 'cairn.db')}`);
    const events = new EventHub();
    try {
      const { jobId, attempt } = await seed(store, 'half-ended');
      await store.jobs.updateAttempt((await attempt()).id, { state: 'finalizing' }, ['running']);
      await store.jobs.transition(jobId, 'Finalizing', 'uploading outputs', AT, { attempt: 1 });
      // What the dead server left: the rank's end stored, the job's move not.
      await store.jobs.updateAttempt((await attempt()).id, { state: 'ended', ended_at: AT, outcome: 'succeeded', exit_code: 0, reason: ended.reason }, ['finalizing']);
      assert.equal((await store.jobs.getById(jobId))!.status, 'Finalizing');

      const seen: string[] = [];
      const hooks = { beforeCompleted: async (j: JobRow) => (seen.push(j.id), null) };
      assert.equal(await endRank(store, events, await attempt(), ended, hooks), true);
      const job = (await store.jobs.getById(jobId))!;
      assert.equal(job.status, 'Completed');
      assert.equal(job.exit_code, 0);
      assert.equal(seen.length, 1, 'outputs registered (idempotently) before Completed');
      assert.equal(await endRank(store, events, await attempt(), ended, hooks), false, 'once settled, a report again changes nothing');
      assert.equal(seen.length, 1);
    } finally {
      await store.close();
    }
  });

  it('a registration that fails fails the job with its reason', async () => {
    const store = await Store.open(`sqlite:${join(tempDir('domain-attempts'), 'cairn.db')}`);
    try {
      const { jobId, attempt } = await seed(store, 'failing-outputs');
      await endRank(store, new EventHub(), await attempt(), ended, { beforeCompleted: async () => "output 'model' could not be registered: disk full" });
      const job = (await store.jobs.getById(jobId))!;
      assert.equal(job.status, 'Failed');
      assert.equal(job.status_reason, "output 'model' could not be registered: disk full");
    } finally {
      await store.close();
    }
  });
});
