import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { TestServer, tempDir } from './helpers/cairn.ts';
import { startEngine, type Engine } from './helpers/engines.ts';
import { buildWheel } from './helpers/wheels.ts';
import { CairnClient } from '../src/sdk/client.ts';
import { uploadCode } from '../src/sdk/submit.ts';
import type { Job, LogLine } from '../src/protocol/job.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';

const PY = 'localhost/cairn-test-python:1';

async function runJob(client: CairnClient, spec: Partial<CommandJobSpec>): Promise<{ job: Job; lines: LogLine[] }> {
  const created = await client.createJob(spec as CommandJobSpec);
  const lines: LogLine[] = [];
  await client.stream(created.name, { onLine: (l) => lines.push(l) });
  return { job: await client.getJob(created.name), lines };
}
const text = (lines: LogLine[], stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.text);

/** A pip "find-links" page over HTTP, as an air-gapped site's wheel mirror would serve it. */
function serveWheels(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    if (!name) {
      res.setHeader('content-type', 'text/html');
      return res.end(readdirSync(dir).map((f) => `<a href="${f}">${f}</a><br>`).join('\n'));
    }
    try {
      res.end(readFileSync(join(dir, name.replace(/\//g, ''))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server })));
}

/** The same conformance cases for every engine: each must pass them all. */
for (const name of ['podman', 'docker'] as const) {
  describe(`environments in containers: ${name}`, () => {
    const work = tempDir(`envs-${name}`);
    let engine: Engine | { skip: string };
    let server: TestServer;
    let client: CairnClient;
    let mirror: Server | undefined;

    before(async () => {
      engine = startEngine(name);
      if ('skip' in engine) return;
      const wheels = buildWheel(work, { name: 'cairn-demo-pkg', module: 'cairn_demo_pkg', version: '1.2.3', value: 'in-image' });
      const served = await serveWheels(wheels);
      mirror = served.server;
      server = new TestServer({ env: { ...engine.env, CAIRN_AGENT_CONTAINER_ENGINE: name, CAIRN_PIP_NO_INDEX: '1', CAIRN_PIP_FIND_LINKS: served.url } });
      await server.start();
      await server.waitForAgent();
      client = new CairnClient({ url: server.url });
    });
    after(async () => {
      await server?.stop();
      mirror?.close();
      if (engine && !('skip' in engine)) engine.stop();
    });
    const skip = (t: { skip: (m: string) => void }) => {
      if ('skip' in engine) {
        t.skip(engine.skip);
        return true;
      }
      return false;
    };

    it('runs the job in the image: snapshot at the same path, its variables, outputs and metrics back on the server', async (t) => {
      if (skip(t)) return;
      const code = join(work, 'code');
      mkdirSync(code, { recursive: true });
      writeFileSync(
        join(code, 'train.py'),
        'import os, sys, cairn\nprint(sys.version.split()[0], os.environ["GREETING"], os.path.exists("/etc/debian_version") or "no-debian", os.getcwd() == os.path.dirname(os.environ["CAIRN_OUTPUTS_DIR"]))\n' +
          'open(os.path.join(os.environ["CAIRN_OUTPUTS_DIR"], "model.txt"), "w").write("weights")\ncairn.log_metric("acc", 0.75)\n',
      );
      const snapshotId = await uploadCode(client, code);
      const created = await client.createJob({ command: "python3 train.py", environment: { image: PY }, environment_variables: { GREETING: "hello" } } as unknown as CommandJobSpec, { snapshotId });
      const lines: LogLine[] = [];
      await client.stream(created.name, { onLine: (l) => lines.push(l) });
      const job = await client.getJob(created.name);
      assert.equal(job.status, 'Completed', `${job.status_reason}\n${lines.map((l) => l.text).join('\n')}`);
      assert.match(text(lines, 'stdout')[0]!, /^3\.11\.\d+ hello no-debian True$/, 'Python of the image (which has no /etc/debian_version), in the snapshot folder');
      assert.deepEqual(job.outputs_collected!.map((o) => o.path), ['outputs/model.txt']);
      const metrics = await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${job.id}&metric_key=acc`).then((r) => r.json());
      assert.equal(metrics.metrics[0].value, 0.75);
      const rec = job.environment_details!.record!;
      assert.equal(rec.builder, name);
      assert.equal(rec.image, PY);
      assert.equal(rec.image_id, (engine as Engine).cli(['image', 'inspect', '--format', '{{.Id}}', PY])!.trim());

      const again = await runJob(client, { command: 'true', environment: { image: PY } });
      assert.equal(again.job.status, 'Completed');
      assert.equal(again.job.environment_details!.record!.built, false, 'the image was checked once; the next job reuses it');
    });

    it('build.path: builds the Dockerfile once per content hash, streaming the build into the job log', async (t) => {
      if (skip(t)) return;
      const ctx = join(work, 'docker-ctx');
      mkdirSync(ctx, { recursive: true });
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${PY}\nCOPY marker.txt /marker.txt\nRUN echo built-by-${name} > /built\n`);
      writeFileSync(join(ctx, 'marker.txt'), `${Date.now()}\n`);
      const build = { snapshot_id: await uploadCode(client, ctx), dockerfile_path: 'Dockerfile' };
      const first = await runJob(client, { command: 'cat /built', environment: { build } as CommandJobSpec['environment'] });
      assert.equal(first.job.status, 'Completed', `${first.job.status_reason}\n${first.lines.map((l) => l.text).join('\n')}`);
      assert.deepEqual(text(first.lines, 'stdout'), [`built-by-${name}`]);
      assert.ok(text(first.lines, 'system').some((l) => /RUN echo built-by/.test(l)), 'the build output is in the job log');
      assert.equal(first.job.environment_details!.kind, 'build');
      assert.match(first.job.environment_details!.record!.image!, /^localhost\/cairn-env:[0-9a-f]{32}$/);

      const second = await runJob(client, { command: 'cat /built', environment: { build } as CommandJobSpec['environment'] });
      assert.equal(second.job.status, 'Completed');
      assert.equal(second.job.environment_details!.record!.built, false);
      assert.deepEqual(text(second.lines, 'system'), []);
    });

    it('image + conda_file: the pip section is installed on top of the image from the configured wheel mirror', async (t) => {
      if (skip(t)) return;
      const env = { image: PY, conda_file: { dependencies: ['python=3.11', { pip: ['cairn-demo-pkg==1.2.3'] }] } };
      const { job, lines } = await runJob(client, { command: 'python3 -c "import cairn_demo_pkg as m; print(m.VALUE)"', environment: env as CommandJobSpec['environment'] });
      assert.equal(job.status, 'Completed', `${job.status_reason}\n${lines.map((l) => l.text).join('\n')}`);
      assert.deepEqual(text(lines, 'stdout'), ['in-image']);
      assert.ok(job.environment_details!.record!.packages.includes('cairn-demo-pkg==1.2.3'));
    });

    it('an image that does not exist, and a Dockerfile that fails: Failed with the engine\'s own error last in the log, nothing cached', async (t) => {
      if (skip(t)) return;
      const missing = await runJob(client, { command: 'true', environment: { image: 'localhost/cairn-no-such-image:404' } });
      assert.equal(missing.job.status, 'Failed');
      assert.match(missing.job.status_reason!, new RegExp(`^preparing the environment failed: ${name} pull localhost/cairn-no-such-image:404 exited with code \\d+: .+`));
      assert.ok(text(missing.lines, 'system').at(-1)!.length > 0);
      // A Docker Hub short name reaches podman written out in full (podman refuses unresolved short
      // names without a terminal); docker qualifies it itself. No registry answers here, so it fails pulling.
      const short = await runJob(client, { command: 'true', environment: { image: 'python:3.11' } });
      assert.equal(short.job.status, 'Failed');
      const pulled = name === 'podman' ? 'docker.io/library/python:3.11' : 'python:3.11';
      assert.match(short.job.status_reason!, new RegExp(`^preparing the environment failed: ${name} pull ${pulled.replace(/\./g, '\\.')} exited with code \\d+: .+`));

      const ctx = join(work, 'bad-ctx');
      mkdirSync(ctx, { recursive: true });
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${PY}\nRUN echo about to fail && exit 3\n`);
      const build = { snapshot_id: await uploadCode(client, ctx), dockerfile_path: 'Dockerfile' };
      for (let i = 0; i < 2; i++) {
        const bad = await runJob(client, { command: 'true', environment: { build } as CommandJobSpec['environment'] });
        assert.equal(bad.job.status, 'Failed');
        assert.match(bad.job.status_reason!, new RegExp(`^preparing the environment failed: ${name} build exited with code \\d+: .*(exit 3|exit status 3|returned a non-zero code: 3)`));
        assert.ok(text(bad.lines, 'system').includes('about to fail'));
        assert.ok(bad.job.history!.some((h) => /^building environment/.test(h.reason ?? '')), 'tried again: a failed build is not cached');
      }
    });

    it('cancel stops the container, not only the engine client', async (t) => {
      if (skip(t)) return;
      const job = await client.createJob({ command: 'echo started; sleep 300', environment: { image: PY } } as CommandJobSpec);
      const lines: string[] = [];
      const done = client.stream(job.name, { onLine: (l) => lines.push(l.text) });
      while (!lines.includes('started')) await new Promise((r) => setTimeout(r, 100));
      await client.cancelJob(job.name);
      const final = await done;
      assert.equal(final.status, 'Canceled');
      const left = (engine as Engine).cli(['ps', '-a', '--format', '{{.Names}}'])!;
      assert.ok(!left.split('\n').some((n) => n.startsWith('cairn-')), `no job container left: ${left}`);
    });
  });
}

describe('environments in containers: a compute with no engine', () => {
  let server: TestServer;
  before(async () => {
    server = new TestServer({ env: { CAIRN_AGENT_CONTAINER_ENGINE: 'none' } });
    await server.start();
    await server.waitForAgent();
  });
  after(() => server?.stop());

  it('refuses an image job at submit, saying no node can ever run it, and creates nothing', async () => {
    const client = new CairnClient({ url: server.url });
    await assert.rejects(client.createJob({ command: 'true', environment: { image: PY } } as CommandJobSpec), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'Unsupported');
      assert.match(err.message, /^no node of compute 'local' can run this job: its environment is a container image \(localhost\/cairn-test-python:1\) and none of its nodes \(local\) has docker or podman/);
      return true;
    });
    assert.deepEqual(await client.listJobs(), []);
  });
});
