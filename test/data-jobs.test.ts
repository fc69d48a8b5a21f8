import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, json, runCli, TestServer, tempDir, waitFor } from './helpers/cairn.ts';
import { getObject, makeBucket, putObject, S3_KEYS, startS3rver } from './helpers/s3.ts';
import { sshTestbed, type Testbed } from './helpers/ssh.ts';

/**
 * Data and models in jobs, as Azure ML job files write them: the real CLI against a real server
 * whose local agent runs the jobs. Inputs of every source and mode, outputs created before the
 * command and registered as assets or written to a datastore, lineage both ways, and bad input
 * refused in one line with nothing half-made.
 */
describe('data and models in jobs: inputs, outputs, assets, datastores, lineage', () => {
  const server = new TestServer({ args: ['--max-concurrent-jobs', '4'] });
  const work = tempDir('data-jobs');
  const store = tempDir('data-jobs-store');
  const cli = (args: string[]) => runCli(args, { env: server.cliEnv, cwd: work, timeoutMs: 120_000 });
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const out = async (args: string[]) => JSON.parse((await ok([...args, '-o', 'json'])).stdout);
  const fails = async (args: string[], re: RegExp) => {
    const r = await cli(args);
    assert.notEqual(r.code, 0, `cairn ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, /^error: [^\n]+\n$/, `one line: ${r.stderr}`);
    assert.match(r.stderr, re);
    return r;
  };
  const write = (name: string, text: string) => {
    mkdirSync(join(work, name, '..'), { recursive: true });
    writeFileSync(join(work, name), text);
  };
  const api = async (path: string) => (await json(`${server.url}/api/v1/workspaces/default${path}`)).body;
  /** Runs a job file to its end and returns the job as shown. */
  const runJob = async (file: string) => {
    const job = await out(['job', 'create', '-f', file]);
    return waitFor(`job ${job.name} to end`, async () => {
      const j = await api(`/jobs/${job.name}`);
      return ['Completed', 'Failed', 'Canceled'].includes(j.status) ? j : undefined;
    }, 120_000);
  };
  const logOf = async (name: string) => (await ok(['job', 'stream', name])).stdout;
  const jobCount = async () => (await api('/jobs?max_results=1000')).length;

  let http: Server;
  let httpUrl = '';
  let gets = 0;
  before(async () => {
    await server.start();
    await server.waitForAgent();
    http = createServer((req, res) => {
      gets++;
      if (req.url === '/files/labels.csv') {
        res.writeHead(200, { 'content-type': 'text/csv', etag: '"v1"' });
        res.end('id,label\n1,cat\n2,dog\n');
      } else res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    write('data/train/a.csv', 'x,y\n1,2\n');
    write('data/train/b.csv', 'x,y\n3,4\n');
    write('data/test/c.csv', 'x,y\n5,6\n');
    write('config.json', '{"epochs": 2}\n');
    mkdirSync(join(store, 'raw'), { recursive: true });
    writeFileSync(join(store, 'raw', 'one.txt'), 'from the datastore\n');
    write('store.yml', `name: rawfiles\ntype: local_folder\npath: ${store}\ndescription: a folder on the server\n`);
  });
  after(async () => {
    http?.close();
    await server.stop();
  });

  it('registers data assets: versions never change, the same content answers with its version, download gives the files back', async () => {
    write('iris.yml', 'name: iris\ntype: uri_folder\npath: ./data/train\ndescription: training split\ntags: {source: test}\n');
    const v1 = await out(['data', 'create', '-f', 'iris.yml']);
    assert.equal(v1.version, '1');
    assert.equal(v1.file_count, 2);
    const again = await out(['data', 'create', '-f', 'iris.yml']);
    assert.equal(again.version, '1', 'the same content answers with the existing version');
    write('data/train/a.csv', 'x,y\n1,2\n7,8\n');
    const v2 = await out(['data', 'create', '-f', 'iris.yml']);
    assert.equal(v2.version, '2');
    await fails(['data', 'create', '-f', 'iris.yml', '--version', '1'], /version 1 already exists with other content/);
    const listed = await out(['data', 'list']);
    assert.deepEqual(listed.map((a: { name: string; version: string }) => `${a.name}:${a.version}`), ['iris:2']);
    await ok(['data', 'archive', '-n', 'iris', '--version', '2']);
    assert.equal((await out(['data', 'show', '-n', 'iris@latest'])).version, '1', 'archived versions leave @latest');
    await ok(['data', 'restore', '-n', 'iris', '--version', '2']);
    const dl = tempDir('dl');
    await ok(['data', 'download', '-n', 'iris:2', '--download-path', dl]);
    assert.equal(readFileSync(join(dl, 'iris', 'a.csv'), 'utf8'), 'x,y\n1,2\n7,8\n');
    assert.deepEqual(readdirSync(join(dl, 'iris')).sort(), ['a.csv', 'b.csv']);
  });

  it('registers datastores; a local_folder datastore path is an input and an output path', async () => {
    const d = await out(['datastore', 'create', '-f', 'store.yml']);
    assert.equal(d.type, 'local_folder');
    const all = await out(['datastore', 'list']);
    assert.deepEqual(all.map((x: { name: string }) => x.name), ['workspaceblobstore', 'rawfiles']);
    await fails(['datastore', 'show', '-n', 'nothere'], /datastore 'nothere' does not exist/);
    // Jobs read datastores: none may reach the server's data folder (its secret key, database, blobs).
    write('bad-store.yml', `name: sneaky\ntype: local_folder\npath: ${join(server.dataDir, '..')}\n`);
    await fails(['datastore', 'create', '-f', 'bad-store.yml'], /holds the server's data folder, which jobs must never see/);
    write('bad-store2.yml', `name: sneaky\ntype: local_folder\npath: ${join(server.dataDir, 'blobs')}\n`);
    await fails(['datastore', 'create', '-f', 'bad-store2.yml'], /lies inside the server's data folder/);
  });

  it('runs a job with inputs of every source and mode, and registers and writes its outputs', async () => {
    write(
      'train.yml',
      [
        'command: >-',
        '  ls ${{inputs.train}} > ${{outputs.model}}/train-files.txt &&',
        '  cat ${{inputs.config}} > ${{outputs.model}}/config-copy.json &&',
        '  cat ${{inputs.registered}}/a.csv > ${{outputs.metrics}}/a.csv &&',
        '  cat ${{inputs.labels}} > ${{outputs.report}} &&',
        '  cat ${{inputs.raw}}/one.txt >> ${{outputs.report}} &&',
        '  echo "direct=${{inputs.direct}}" &&',
        '  touch ${{inputs.train}}/new 2>/dev/null && echo WROTE-RO || echo ro-refused;',
        '  touch ${{inputs.copy}}/new && echo wrote-copy',
        'inputs:',
        '  train: {type: uri_folder, path: ./data/train}',
        '  copy: {type: uri_folder, path: ./data/test, mode: download}',
        '  config: {type: uri_file, path: ./config.json, mode: download}',
        '  registered: {type: uri_folder, path: azureml:iris:1}',
        `  labels: {type: uri_file, path: ${'URL'}/files/labels.csv}`,
        '  raw: {type: uri_folder, path: azureml://datastores/rawfiles/paths/raw}',
        '  direct: {type: uri_folder, path: "azureml://datastores/rawfiles/paths/raw", mode: direct}',
        'outputs:',
        '  model: {type: custom_model, name: tiny-model}',
        '  metrics: {type: uri_folder, name: metrics, version: "7", path: azureml://datastores/rawfiles/paths/exported/metrics}',
        '  report: {type: uri_file}',
      ]
        .join('\n')
        .replace('URL', httpUrl),
    );
    const job = await runJob('train.yml');
    const log = await logOf(job.name);
    assert.equal(job.status, 'Completed', `${job.status_reason}\n${log}`);
    assert.match(log, /ro-refused/, 'a ro_mount input cannot be written');
    assert.match(log, /wrote-copy/, 'a download input is a writable copy');
    assert.match(log, /direct=azureml:\/\/datastores\/rawfiles\/paths\/raw/);
    // Named outputs: registered, listed apart from outputs/, written to their datastore path.
    const model = await out(['model', 'show', '-n', 'tiny-model']);
    assert.equal(model.version, '1');
    assert.equal(model.type, 'custom_model');
    assert.equal(model.produced_by, job.name);
    const metrics = await out(['data', 'show', '-n', 'metrics:7']);
    assert.equal(metrics.produced_by, job.name);
    assert.equal(readFileSync(join(store, 'exported', 'metrics', 'a.csv'), 'utf8'), 'x,y\n1,2\n');
    const shown = await api(`/jobs/${job.name}`);
    const outputs = Object.fromEntries(shown.named_outputs.map((o: { name: string }) => [o.name, o]));
    assert.equal(outputs.model.asset, 'azureml:tiny-model:1');
    assert.equal(outputs.model.files, 2);
    assert.equal(outputs.report.files, 1);
    assert.equal(outputs.metrics.asset, 'azureml:metrics:7');
    // Lineage both ways: the job lists the versions it read; the version lists the job.
    const inputs = Object.fromEntries(shown.data_inputs.map((i: { name: string }) => [i.name, i]));
    assert.equal(inputs.registered.asset, 'azureml:iris:1');
    assert.equal(inputs.train.files, 2);
    assert.deepEqual((await out(['data', 'show', '-n', 'iris:1'])).consumed_by, [job.name]);
    const table = (await ok(['job', 'show', job.name, '-o', 'table'])).stdout;
    assert.match(table, /data inputs:\n.*\n.*registered +uri_folder +ro_mount +azureml:iris:1 +azureml:iris:1/s);
    assert.match(table, /named outputs:\n(.*\n)*model +custom_model +2 +azureml:tiny-model:1/);
    // The report output is a uri_file: the job wrote the file itself at ${{outputs.report}}.
    const dl = tempDir('model');
    await ok(['model', 'download', '-n', 'tiny-model', '--download-path', dl]);
    assert.equal(readFileSync(join(dl, 'tiny-model', 'config-copy.json'), 'utf8'), '{"epochs": 2}\n');
    assert.match(readFileSync(join(dl, 'tiny-model', 'train-files.txt'), 'utf8'), /a\.csv\nb\.csv/);

    // A model from the job's run (MLflow's runs:/ form), and the same content again answers with it.
    const fromRun = await out(['model', 'create', '-n', 'from-run', '--path', `runs:/${job.id}/outputs/model`]);
    assert.equal(fromRun.file_count, 2);
    assert.equal(fromRun.run_id, job.id);
    assert.equal((await out(['model', 'create', '-n', 'from-run', '--path', `runs:/${job.id}/outputs/model`])).version, '1');
    await fails(['model', 'create', '-n', 'nothing', '--path', `runs:/${job.id}/no/such`], /run '.*' has no artifacts under 'no\/such'/);

    // Another job reads this job's output, by its URI.
    write('evaluate.yml', `command: cat \${{inputs.model}}/config-copy.json\ninputs:\n  model: {type: custom_model, path: azureml://jobs/${job.name}/outputs/model}\n`);
    const evaluation = await runJob('evaluate.yml');
    assert.equal(evaluation.status, 'Completed', evaluation.status_reason);
    assert.match(await logOf(evaluation.name), /"epochs": 2/);
  });

  it('reads from a real S3-compatible bucket and an SFTP location, and writes outputs to both', async () => {
    const s3dir = tempDir('s3rver');
    const s3 = await startS3rver(s3dir);
    try {
      const endpoint = `http://127.0.0.1:${s3.port}`;
      await makeBucket(endpoint, 'training');
      await putObject(endpoint, 'training', 'team/raw/part-0.csv', 'a,b\n1,2\n');
      await putObject(endpoint, 'training', 'team/raw/part-1.csv', 'a,b\n3,4\n');
      const creds = `credentials: {access_key_id: ${S3_KEYS.access_key_id}, secret_access_key: ${S3_KEYS.secret_access_key}}`;
      write('s3.yml', `name: lake\ntype: s3\nendpoint: ${endpoint}\nbucket: training\nprefix: team/\n${creds}\n`);
      const ds = await out(['datastore', 'create', '-f', 's3.yml']);
      assert.equal(ds.location, `${endpoint}/training/team/`);
      assert.ok(!JSON.stringify(ds).includes(S3_KEYS.secret_access_key.toLowerCase() + 'x'), 'no secret shown');
      // Refused credentials and an unreachable endpoint are refused at create, and nothing is stored.
      write('s3-bad.yml', `name: badlake\ntype: s3\nendpoint: ${endpoint}\nbucket: training\ncredentials: {access_key_id: S3RVER, secret_access_key: wrong}\n`);
      await fails(['datastore', 'create', '-f', 's3-bad.yml'], /datastore 'badlake': .*SignatureDoesNotMatch/);
      write('s3-gone.yml', `name: gonelake\ntype: s3\nendpoint: http://127.0.0.1:${await freePort()}\nbucket: training\n${creds}\n`);
      await fails(['datastore', 'create', '-f', 's3-gone.yml'], /datastore 'gonelake': /);
      assert.deepEqual((await out(['datastore', 'list'])).map((x: { name: string }) => x.name).filter((n: string) => n.endsWith('lake')), ['lake']);

      const t = (await sshTestbed()) as Testbed;
      assert.ok('port' in t, 'the OpenSSH testbed is up');
      // The share's folder, made by its own user (a datastore is a place that exists already).
      execFileSync('su', ['-s', '/bin/sh', t.passwordUser, '-c', 'mkdir -p "$HOME/share"']);
      // Without host_key the key is pinned on create, as attaching a machine does.
      write('sftp.yml', `name: share\ntype: sftp\nhost: 127.0.0.1\nport: ${t.port}\npath: share\ncredentials: {username: ${t.passwordUser}, password: ${t.password}}\n`);
      const share = await out(['datastore', 'create', '-f', 'sftp.yml']);
      assert.equal(share.spec.host_key, t.hostKey.replace(/=+$/, ''));
      assert.ok(!JSON.stringify(share).includes(t.password), 'the password is never shown');
      write('sftp-bad.yml', `name: badshare\ntype: sftp\nhost: 127.0.0.1\nport: ${t.port}\nhost_key: ${t.hostKey}\ncredentials: {username: ${t.passwordUser}, password: not-it}\n`);
      await fails(['datastore', 'create', '-f', 'sftp-bad.yml'], /datastore 'badshare': /);

      write(
        'lake.yml',
        [
          'command: cat ${{inputs.raw}}/part-0.csv ${{inputs.raw}}/part-1.csv > ${{outputs.merged}}/all.csv && cp ${{outputs.merged}}/all.csv ${{outputs.shared}}/all.csv',
          'inputs:',
          '  raw: {type: uri_folder, path: azureml://datastores/lake/paths/raw}',
          'outputs:',
          '  merged: {type: uri_folder, path: azureml://datastores/lake/paths/merged}',
          '  shared: {type: uri_folder, path: azureml://datastores/share/paths/out}',
        ].join('\n'),
      );
      const job = await runJob('lake.yml');
      assert.equal(job.status, 'Completed', job.status_reason);
      assert.deepEqual(await getObject(endpoint, 'training', 'team/merged/all.csv'), { status: 200, text: 'a,b\n1,2\na,b\n3,4\n' });
      // The same folder again: read from the bucket as a data asset (unchanged objects are not downloaded again).
      write('lake-data.yml', 'name: lake-raw\ntype: uri_folder\npath: azureml://datastores/lake/paths/raw\n');
      const asset = await out(['data', 'create', '-f', 'lake-data.yml']);
      assert.equal(asset.file_count, 2);
      // What the SFTP output wrote, read back through the datastore as an input.
      write('share-read.yml', 'command: cat ${{inputs.f}}\ninputs:\n  f: {type: uri_file, path: azureml://datastores/share/paths/out/all.csv}\n');
      const back = await runJob('share-read.yml');
      assert.equal(back.status, 'Completed', back.status_reason);
      assert.match(await logOf(back.name), /3,4/);
    } finally {
      await s3.stop();
    }
  });

  it('refuses bad input in one line at submit, and makes nothing', async () => {
    const before = await jobCount();
    const job = (name: string, body: string) => write(name, `command: echo hi\n${body}`);
    job('b1.yml', 'inputs:\n  d: {type: uri_folder, path: ./no/such/folder}\n');
    await fails(['job', 'create', '-f', 'b1.yml'], /input 'd': path '\.\/no\/such\/folder' does not exist/);
    job('b2.yml', 'inputs:\n  d: {type: uri_folder, path: azureml:nothere:1}\n');
    await fails(['job', 'create', '-f', 'b2.yml'], /data asset 'nothere' does not exist/);
    job('b3.yml', 'inputs:\n  d: {type: uri_folder, path: azureml:iris:99}\n');
    await fails(['job', 'create', '-f', 'b3.yml'], /data asset 'iris' has no version 99 \(it has 2, 1\)|\(it has 1, 2\)/);
    job('b4.yml', 'inputs:\n  d: {type: uri_folder, path: azureml://datastores/nostore/paths/x}\n');
    await fails(['job', 'create', '-f', 'b4.yml'], /datastore 'nostore' does not exist/);
    job('b5.yml', 'inputs:\n  d: {type: uri_folder, path: azureml://datastores/rawfiles/paths/../../etc}\n');
    await fails(['job', 'create', '-f', 'b5.yml'], /may not leave its datastore/);
    job('b6.yml', 'inputs:\n  d: {type: uri_file, path: ./config.json, mode: rw_mount}\n');
    await fails(['job', 'create', '-f', 'b6.yml'], /uri_file input cannot be rw_mount/);
    job('b7.yml', 'outputs:\n  a: {type: uri_folder, name: same}\n  b: {type: uri_folder, name: same}\n');
    await fails(['job', 'create', '-f', 'b7.yml'], /outputs 'a' and 'b' both register data asset 'same'/);
    job('b8.yml', 'outputs:\n  a: {type: uri_folder, name: metrics, version: "7"}\n');
    await fails(['job', 'create', '-f', 'b8.yml'], /'metrics' version 7 already exists/);
    job('b9.yml', 'inputs:\n  d: {type: uri_folder, path: ./config.json}\n');
    await fails(['job', 'create', '-f', 'b9.yml'], /is uri_folder, but '\.\/config\.json' is a file \(use uri_file\)/);
    job('b10.yml', 'inputs:\n  d: {type: uri_folder, path: s3://bucket/x}\n');
    await fails(['job', 'create', '-f', 'b10.yml'], /register the storage as a datastore/);
    job('b11.yml', 'outputs:\n  a: {type: uri_folder, path: azureml://datastores/nostore/paths/x}\n');
    await fails(['job', 'create', '-f', 'b11.yml'], /output 'a': datastore 'nostore' does not exist/);
    assert.equal(await jobCount(), before, 'no job was made by a refused submit');
  });

  it('fails a job whose http input answers 404, naming the input and the URL', async () => {
    write('b404.yml', `command: cat \${{inputs.f}}\ninputs:\n  f: {type: uri_file, path: ${httpUrl}/files/missing.csv}\n`);
    const job = await runJob('b404.yml');
    assert.equal(job.status, 'Failed');
    assert.match(job.status_reason, /input 'f'.*missing\.csv.*404/);
  });

  it('registers models from a local folder and reads them back by name', async () => {
    write('m/model.pkl', 'weights');
    write('m/MLmodel', 'flavors: {}\n');
    write('model.yml', 'name: clf\ntype: mlflow_model\npath: ./m\n');
    const m = await out(['model', 'create', '-f', 'model.yml']);
    assert.equal(m.version, '1');
    assert.equal(m.type, 'mlflow_model');
    await fails(['model', 'create', '-n', 'clf', '--path', './m', '--type', 'uri_folder'], /model 'clf': type must be one of custom_model, mlflow_model/);
    write('usemodel.yml', 'command: ls ${{inputs.m}}\ninputs:\n  m: {type: mlflow_model, path: azureml:clf@latest}\n');
    const job = await runJob('usemodel.yml');
    assert.equal(job.status, 'Completed', job.status_reason);
    assert.match(await logOf(job.name), /MLmodel/);
    assert.ok(existsSync(work));
    assert.ok(gets >= 1, 'the http input was fetched by the node');
  });
});
