// The node side of job data: inputs laid out under $CAIRN_INPUTS_DIR by mode (a shared read-only
// tree made once per content, private copies, URLs fetched and revalidated), the trees' eviction,
// the sandbox's read-only binds, and outputs uploaded as streams. Against a real Cairn server as
// the blob source, with the agent's own modules.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer, freePort, tempDir } from './helpers/cairn.ts';
import { nodeTokenOf } from './helpers/hostile.ts';
import { BlobCache } from '../src/agent/blob-cache.ts';
import { HttpError, PermanentError, ServerClient } from '../src/agent/client.ts';
import type { AgentConfig } from '../src/agent/config.ts';
import { HttpInputs } from '../src/agent/http-inputs.ts';
import { InputTrees, removeTree } from '../src/agent/input-trees.ts';
import { JobInputs, type LayoutHooks, type NodeData } from '../src/agent/inputs.ts';
import { uploadOutputs } from '../src/agent/outputs.ts';
import { giveTo, launchScript, probeIsolation } from '../src/agent/sandbox.ts';
import type { ResolvedInput, ResolvedOutput } from '../src/protocol/data.ts';
import { AGENT_API } from '../src/protocol/routes.ts';
import type { CommandJobSpec } from '../src/protocol/job-spec.ts';
import type { Job, LogLine } from '../src/protocol/job.ts';
import { CairnClient } from '../src/sdk/client.ts';
import { submitJob } from '../src/sdk/submit.ts';
import { startEngine, type Engine } from './helpers/engines.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('agent: job inputs and outputs', () => {
  const agentDir = tempDir('agent-inputs');
  let server: TestServer;
  let client: ServerClient;
  let node: NodeData;
  let ws: string;
  let attempts = 0;

  before(async () => {
    server = new TestServer();
    await server.start();
    await server.waitForAgent();
    ws = `${server.url}/api/v1/workspaces/default`;
    client = new ServerClient({ serverUrl: server.url, token: nodeTokenOf(server) } as AgentConfig);
    const blobs = new BlobCache(join(agentDir, 'blobs'), client);
    node = { blobs, trees: new InputTrees(join(agentDir, 'input-trees'), 2 ** 30, blobs), http: new HttpInputs(join(agentDir, 'http-inputs'), (s) => blobs.pathOf(s)) };
  });
  after(async () => {
    await server?.stop();
    removeTree(agentDir); // read-only trees inside: made writable first
  });

  /** A snapshot on the server, as a submit would upload it. */
  async function upload(files: Record<string, string | { data: string; mode: number }>): Promise<string> {
    const entries = [];
    for (const [path, f] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const data = Buffer.from(typeof f === 'string' ? f : f.data);
      const r = await fetch(`${ws}/blobs/${sha(data)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data });
      assert.equal(r.status, 204);
      entries.push({ path, mode: typeof f === 'string' ? 0o644 : f.mode, size: data.length, sha256: sha(data) });
    }
    const r = await fetch(`${ws}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
    assert.equal(r.status, 201, await r.clone().text());
    return ((await r.json()) as { id: string }).id;
  }

  interface Laid {
    job: JobInputs;
    dir: string;
    wd: string;
    status: string[];
    log: string[];
  }
  async function layOut(inputs: ResolvedInput[], outputs: ResolvedOutput[] = [], n: NodeData = node): Promise<Laid> {
    const dir = join(agentDir, 'attempts', `a${++attempts}`);
    const wd = join(dir, 'wd');
    mkdirSync(join(wd, 'outputs'), { recursive: true });
    const status: string[] = [];
    const log: string[] = [];
    const hooks: LayoutHooks = { retrying: (fn) => fn(), status: (d) => status.push(d), log: (l) => log.push(l) };
    const job = new JobInputs(n, dir, inputs, outputs);
    await job.layOut(wd, hooks);
    return { job, dir, wd, status, log };
  }
  const input = (name: string, mode: ResolvedInput['mode'], snapshot_id: string, more: Partial<ResolvedInput> = {}): ResolvedInput => ({
    name,
    type: 'uri_folder',
    mode,
    snapshot_id,
    uri: `azureml:${name}:1`,
    ...more,
  });

  it('lays a ro_mount input out once per node as a read-only tree that later jobs share without any per-file work', async () => {
    const id = await upload({ 'a.txt': 'alpha\n', 'sub/b.txt': 'beta\n', 'bin/run.sh': { data: '#!/bin/sh\necho hi\n', mode: 0o755 } });
    const made = node.trees.made;
    const first = await layOut([input('data', 'ro_mount', id)]);
    const at = join(first.dir, 'inputs', 'data');
    const tree = node.trees.pathOf(id);
    assert.equal(lstatSync(at).isSymbolicLink(), true);
    assert.equal(readlinkSync(at), tree);
    assert.equal(readFileSync(join(at, 'sub', 'b.txt'), 'utf8'), 'beta\n');
    assert.equal(statSync(join(tree, 'a.txt')).mode & 0o777, 0o444);
    assert.equal(statSync(join(tree, 'bin', 'run.sh')).mode & 0o777, 0o555, 'an executable stays executable');
    for (const d of ['', 'sub', 'bin']) assert.equal(statSync(join(tree, d)).mode & 0o777, 0o555);
    assert.equal(statSync(join(tree, 'a.txt')).ino, statSync(node.blobs.pathOf(sha('alpha\n'))).ino, 'a hard link to the cached blob: no second copy of the bytes');
    assert.match(first.status.join('\n'), /fetching input 'data' \(\d+ B, 3 files\)/);
    assert.deepEqual(first.job.vars(first.wd), { CAIRN_INPUTS_DIR: join(first.dir, 'inputs'), AZURE_ML_INPUT_data: at });
    assert.equal(node.trees.made, made + 1);
    assert.deepEqual(first.job.containerMounts(), [{ path: join(first.dir, 'inputs') }, { path: tree, ro: true }], 'a container sees the symlink and, read-only, what it points to');

    const inode = statSync(tree).ino;
    const second = await layOut([input('data', 'ro_mount', id), input('again', 'eval_mount', id, { type: 'mltable' })]);
    assert.equal(node.trees.made, made + 1, 'the second job reused the tree');
    assert.equal(statSync(tree).ino, inode, 'the same tree, not made again');
    assert.deepEqual(second.status, [], 'nothing fetched, not even the manifest');
    assert.equal(readlinkSync(join(second.dir, 'inputs', 'again')), tree);
    first.job.end();
    second.job.end();
    assert.equal(existsSync(join(first.dir, 'inputs')), false);
    assert.equal(readFileSync(join(tree, 'a.txt'), 'utf8'), 'alpha\n', 'ending a job leaves the shared tree');
  });

  it('gives download and rw_mount inputs private writable copies that leave the cache and the shared tree alone', async () => {
    const id = await upload({ 'x.txt': 'original\n', 'deep/y.txt': 'why\n' });
    const l = await layOut([input('dl', 'download', id), input('rw', 'rw_mount', id), input('ev', 'eval_download', id, { type: 'mltable' }), input('ro', 'ro_mount', id)]);
    assert.deepEqual(l.status, ["fetching input 'dl' (13 B, 2 files)"], 'four inputs of one content: its manifest and blobs are fetched once');
    for (const name of ['dl', 'rw', 'ev']) {
      const f = join(l.dir, 'inputs', name, 'x.txt');
      assert.equal(lstatSync(join(l.dir, 'inputs', name)).isDirectory(), true, name);
      writeFileSync(f, `changed by ${name}\n`);
      writeFileSync(join(l.dir, 'inputs', name, 'deep', 'new.txt'), 'new\n');
    }
    assert.equal(readFileSync(node.blobs.pathOf(sha('original\n')), 'utf8'), 'original\n');
    assert.equal(readFileSync(join(l.dir, 'inputs', 'ro', 'x.txt'), 'utf8'), 'original\n');
    assert.match(l.log.join('\n'), /rw_mount inputs are private copies on this node/);
    l.job.end();
  });

  it('gives a uri_file input as its file, direct inputs as their URI, and makes the outputs’ folders', async () => {
    const id = await upload({ 'train.csv': 'a,b\n1,2\n' });
    const l = await layOut(
      [input('table', 'ro_mount', id, { type: 'uri_file', file: 'train.csv' }), input('remote', 'direct', id, { uri: 'azureml://datastores/s3/paths/x/' })],
      [
        { name: 'model', type: 'uri_folder', mode: 'rw_mount' },
        { name: 'score', type: 'uri_file', mode: 'upload' },
      ],
    );
    const vars = l.job.vars(l.wd);
    assert.equal(vars.AZURE_ML_INPUT_table, join(l.dir, 'inputs', 'table', 'train.csv'));
    assert.equal(readFileSync(vars.AZURE_ML_INPUT_table, 'utf8'), 'a,b\n1,2\n');
    assert.equal(vars.AZURE_ML_INPUT_remote, 'azureml://datastores/s3/paths/x/');
    assert.equal(existsSync(join(l.dir, 'inputs', 'remote')), false, 'direct: nothing laid out');
    assert.equal(vars.AZURE_ML_OUTPUT_model, join(l.wd, 'outputs', 'model'));
    assert.equal(statSync(vars.AZURE_ML_OUTPUT_model).isDirectory(), true);
    assert.equal(existsSync(vars.AZURE_ML_OUTPUT_score), false, 'a uri_file output is left for the job to write as a file');
    l.job.end();
  });

  it('shows a sandboxed job its ro inputs through a read-only bind: reads work, writes fail, private copies are writable', async (t) => {
    const iso = probeIsolation({ wanted: 'auto', hide: [agentDir], jobUser: 'cairn-job' });
    if (iso.mode === 'none') return t.skip(`no sandbox here: ${iso.note}`);
    const id = await upload({ 'r.txt': 'read me\n' });
    const l = await layOut([input('ro', 'ro_mount', id), input('dl', 'download', id), input('rw', 'rw_mount', id)]);
    giveTo(iso.user, l.wd);
    const binds = l.job.sandboxBinds(iso.user);
    writeFileSync(join(l.dir, 'launch'), launchScript(iso, { attemptDir: l.dir, wd: l.wd, binds }));
    const probe = (p: string) => `if echo x >> "${p}" 2>/dev/null; then echo "${p}: written"; else echo "${p}: refused"; fi`;
    writeFileSync(
      join(l.dir, 'command'),
      [
        'cat "$CAIRN_INPUTS_DIR/ro/r.txt"',
        probe('$CAIRN_INPUTS_DIR/ro/r.txt'),
        probe('$CAIRN_INPUTS_DIR/ro/new.txt'),
        'chmod u+w "$CAIRN_INPUTS_DIR/ro/r.txt" 2>&1 | grep -o -m1 -e "Read-only file system" -e "Operation not permitted" || echo "chmod: allowed"',
        probe('$CAIRN_INPUTS_DIR/dl/r.txt'),
        probe('$CAIRN_INPUTS_DIR/rw/r.txt'),
        `[ -z "$(ls -A ${node.trees.dir} 2>/dev/null)" ] && echo "trees: hidden" || echo "trees: visible"`,
      ].join('\n'),
    );
    const r = spawnSync('bash', [join(l.dir, 'launch'), l.dir], { encoding: 'utf8', env: { PATH: process.env.PATH, ...l.job.vars(l.wd) } });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.replaceAll(join(l.dir, 'inputs'), 'IN');
    assert.match(out, /^read me$/m);
    assert.match(out, /IN\/ro\/r\.txt: refused/);
    assert.match(out, /IN\/ro\/new\.txt: refused/);
    assert.match(out, /^(Read-only file system|Operation not permitted)$/m);
    assert.match(out, /IN\/dl\/r\.txt: written/);
    assert.match(out, /IN\/rw\/r\.txt: written/);
    assert.match(out, /trees: hidden/, "the node's other trees stay covered");
    assert.equal(readFileSync(join(node.trees.pathOf(id), 'r.txt'), 'utf8'), 'read me\n');
    l.job.end();
  });

  it('fetches an http input once, revalidates it (304 reuses), follows a change, and fails a 404 or unreachable URL in one line', async (t) => {
    let body = 'v1 contents\n';
    let etag = '"v1"';
    const seen: { url: string; inm?: string; ims?: string; status: number }[] = [];
    const web: Server = createServer((req, res) => {
      const log = (status: number) => seen.push({ url: req.url!, inm: req.headers['if-none-match'] as string, ims: req.headers['if-modified-since'] as string, status });
      if (req.url === '/files/data%20set.csv') {
        if (req.headers['if-none-match'] === etag) {
          log(304);
          res.writeHead(304).end();
          return;
        }
        log(200);
        res.writeHead(200, { etag, 'content-type': 'text/csv' }).end(body);
      } else if (req.url === '/') {
        const lm = 'Wed, 01 Jan 2025 00:00:00 GMT';
        if (req.headers['if-modified-since'] === lm) {
          log(304);
          res.writeHead(304).end();
          return;
        }
        log(200);
        res.writeHead(200, { 'last-modified': lm }).end('dated\n');
      } else if (req.url === '/stalls.csv') {
        log(200);
        res.writeHead(200, { 'content-length': '100' }).flushHeaders(); // the head, then nothing
      } else {
        log(404);
        res.writeHead(404).end('no');
      }
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    t.after(() => {
      web.closeAllConnections();
      web.close();
    });
    const base = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    const url = `${base}/files/data%20set.csv`;
    const http = (name: string, u: string, mode: ResolvedInput['mode'], type: ResolvedInput['type'] = 'uri_file'): ResolvedInput => ({ name, type, mode, url: u, uri: u });

    const one = await layOut([http('csv', url, 'ro_mount')]);
    const file = one.job.vars(one.wd).AZURE_ML_INPUT_csv;
    assert.equal(file, join(one.dir, 'inputs', 'csv', 'data set.csv'), 'the decoded last segment names the file');
    assert.equal(readFileSync(file, 'utf8'), 'v1 contents\n');
    assert.ok(existsSync(node.blobs.pathOf(sha('v1 contents\n'))), 'stored in the blob cache by content');

    const two = await layOut([http('csv', url, 'download')]);
    assert.deepEqual(seen.map((s) => s.status), [200, 304]);
    assert.equal(seen[1]!.inm, '"v1"');
    assert.equal(readFileSync(two.job.vars(two.wd).AZURE_ML_INPUT_csv, 'utf8'), 'v1 contents\n');
    writeFileSync(two.job.vars(two.wd).AZURE_ML_INPUT_csv, 'mine\n'); // a download is the job's own

    body = 'v2 contents\n';
    etag = '"v2"';
    const three = await layOut([http('csv', url, 'ro_mount')]);
    assert.equal(seen.at(-1)!.status, 200);
    assert.equal(readFileSync(three.job.vars(three.wd).AZURE_ML_INPUT_csv, 'utf8'), 'v2 contents\n');
    assert.equal(readFileSync(one.job.vars(one.wd).AZURE_ML_INPUT_csv, 'utf8'), 'v1 contents\n', 'a running job keeps what it was given');

    const dated = await layOut([http('d', `${base}/`, 'ro_mount')]);
    assert.equal(readFileSync(join(dated.dir, 'inputs', 'd', 'download'), 'utf8'), 'dated\n', "a URL without a file name gives 'download'");
    const named = await layOut([{ ...http('d', `${base}/`, 'download'), file: 'named.txt' }]);
    assert.equal(readFileSync(named.job.vars(named.wd).AZURE_ML_INPUT_d, 'utf8'), 'dated\n', "the server's file name wins");
    assert.equal(named.job.vars(named.wd).AZURE_ML_INPUT_d, join(named.dir, 'inputs', 'd', 'named.txt'));
    assert.equal(seen.at(-1)!.ims, 'Wed, 01 Jan 2025 00:00:00 GMT');
    assert.equal(seen.at(-1)!.status, 304);

    const missing = `${base}/nope.csv`;
    await assert.rejects(layOut([http('gone', missing, 'ro_mount')]), (e: Error) => e instanceof PermanentError && e.message === `input 'gone': GET ${missing} answered 404`);
    const closed = `http://127.0.0.1:${await freePort()}/x.csv`;
    await assert.rejects(layOut([http('away', closed, 'download')]), (e: Error) => e instanceof PermanentError && e.message.startsWith(`input 'away': GET ${closed} failed: `) && !e.message.includes('\n'));
    for (const l of [one, two, three, dated, named]) l.job.end();
    // A URL's size comes from outside: bounded, whether announced or not, and nothing is kept.
    const small = new HttpInputs(join(tempDir('http-small'), 'http-inputs'), (s) => node.blobs.pathOf(s), 4);
    await assert.rejects(small.fetch('big', url), (e: Error) => e instanceof PermanentError && e.message.startsWith(`input 'big': ${url} `) && (e.message.endsWith("over this node's limit of 4 (CAIRN_AGENT_MAX_URL_BYTES)") || e.message.includes("more than this node's limit of 4")));
    // A server that sends the answer's head and then nothing is given up on, not waited for forever.
    const impatient = new HttpInputs(join(tempDir('http-stall'), 'http-inputs'), (s) => node.blobs.pathOf(s), 2 ** 20, 200);
    const stalls = `${base}/stalls.csv`;
    await assert.rejects(impatient.fetch('slow', stalls), (e: Error) => e instanceof PermanentError && e.message === `input 'slow': GET ${stalls} failed: nothing arrived for 0.2 s`);
  });

  it('serves a batch of blobs back to back in the order asked, and bounds what a batch may ask', async () => {
    const big = Buffer.alloc(1.5 * 2 ** 20, 7);
    big.write('the big one');
    const parts = [Buffer.from('a'), big, Buffer.alloc(0), Buffer.from('the last, small\n'), Buffer.from('a')];
    for (const b of parts) assert.equal((await fetch(`${ws}/blobs/${sha(b)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: b })).status, 204);
    const batch = (body: string, token = nodeTokenOf(server)) => fetch(`${server.url}${AGENT_API}/blobs/batch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const r = await batch(JSON.stringify({ sha256: parts.map(sha) }));
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.concat(parts));
    assert.equal((await batch(JSON.stringify({ sha256: Array(1001).fill(sha('a')) }))).status, 400, 'more hashes than one batch takes');
    assert.equal((await batch(JSON.stringify({ sha256: [sha('a')], pad: 'x'.repeat(200_000) }))).status, 413, 'a body far over what 1,000 hashes need');
    assert.equal((await batch(JSON.stringify({ sha256: [sha('a')] }), 'not-a-token')).status, 401);
  });

  it('refuses a manifest whose links would lead a layout outside its folder', async () => {
    const blob = { mode: 0o644, size: 6, sha256: sha('alpha\n') };
    const served = (entries: object[]) => new BlobCache(join(agentDir, 'blobs'), { request: async () => ({ entries }) } as unknown as ServerClient);
    const id = 'f'.repeat(64);
    await assert.rejects(served([{ path: 'a', ...blob, link: '/tmp' }, { path: 'a/x', ...blob }]).fetchManifest(id), (e: Error) => e instanceof PermanentError && e.message === `snapshot ffffffffffff cannot be laid out: 'a/x' lies under the symbolic link 'a'`);
    await assert.rejects(served([{ path: 'a', ...blob, link: '/tmp' }, { path: 'a', ...blob }]).fetchManifest(id), (e: Error) => e instanceof PermanentError && e.message.endsWith("it lists 'a' twice"));
    assert.equal((await served([{ path: 'a', ...blob, link: 'b/x' }, { path: 'b/x', ...blob }]).fetchManifest(id)).length, 2, 'a link beside files is fine');
  });

  it('evicts the least recently used trees no job holds once over the bound, never a held one', async () => {
    const blobs = node.blobs;
    const trees = new InputTrees(join(agentDir, 'small-trees'), 250, blobs);
    const small: NodeData = { ...node, trees };
    const ids = [await upload({ 'a.bin': 'a'.repeat(100) }), await upload({ 'b.bin': 'b'.repeat(100) }), await upload({ 'c.bin': 'c'.repeat(100) })];
    const a = await layOut([input('x', 'ro_mount', ids[0]!)], [], small);
    a.job.end();
    await new Promise((r) => setTimeout(r, 20)); // distinct last-use stamps
    const b = await layOut([input('x', 'ro_mount', ids[1]!)], [], small);
    b.job.end();
    await new Promise((r) => setTimeout(r, 20));
    const again = await layOut([input('x', 'ro_mount', ids[0]!)], [], small); // a is now used after b
    const c = await layOut([input('x', 'ro_mount', ids[2]!)], [], small);
    assert.equal(existsSync(trees.pathOf(ids[1]!)), false, 'b, least recently used and held by no job, went');
    assert.equal(existsSync(trees.pathOf(ids[0]!)), true, 'a is held by a running job');
    assert.equal(existsSync(trees.pathOf(ids[2]!)), true);
    again.job.end();
    c.job.end();
    const more = await layOut([input('x', 'ro_mount', ids[1]!)], [], small);
    assert.equal(existsSync(trees.pathOf(ids[0]!)), false, 'a went once released');
    assert.equal(readFileSync(join(more.dir, 'inputs', 'x', 'b.bin'), 'utf8'), 'b'.repeat(100), 'an evicted tree is made again when needed');
    more.job.end();
  });

  it('holds a running job’s trees again after an agent restart, so none is evicted under it', async () => {
    const trees = new InputTrees(join(agentDir, 'restart-trees'), 0, node.blobs);
    const id = await upload({ 'held.txt': 'held\n' });
    const inputs = [input('h', 'ro_mount', id)];
    const l = await layOut(inputs, [], { ...node, trees });
    // The agent restarts: a new process, a new InputTrees, the same folders.
    const restarted = new InputTrees(trees.dir, 0, node.blobs);
    const resumed = new JobInputs({ ...node, trees: restarted }, l.dir, inputs);
    resumed.resume();
    assert.deepEqual(restarted.evict(), []);
    assert.equal(existsSync(restarted.pathOf(id)), true);
    resumed.end();
    assert.deepEqual(restarted.evict(), [id], 'once the job ends its tree may go');
  });

  it('redoes a layout a crash left half done: a half-made tree and the attempt’s inputs folder', async () => {
    const id = await upload({ 'k.txt': 'kept\n' });
    const dir = join(agentDir, 'crash-trees');
    mkdirSync(join(dir, `.tmp-${id}-12345`, 'partial'), { recursive: true });
    writeFileSync(join(dir, `.tmp-${id}-12345`, 'partial', 'half'), 'x');
    const trees = new InputTrees(dir, 2 ** 30, node.blobs);
    assert.equal(existsSync(join(dir, `.tmp-${id}-12345`)), false, 'swept at start');
    const l = await layOut([input('k', 'download', id)], [], { ...node, trees });
    writeFileSync(join(l.dir, 'inputs', 'k', 'junk'), 'from before the crash');
    await l.job.layOut(l.wd, { retrying: (fn) => fn(), status: () => {}, log: () => {} });
    assert.equal(existsSync(join(l.dir, 'inputs', 'k', 'junk')), false);
    assert.equal(readFileSync(join(l.dir, 'inputs', 'k', 'k.txt'), 'utf8'), 'kept\n');
    l.job.end();
  });

  it('uploads a large output as a stream, only what the server lacks', async () => {
    assert.doesNotMatch(readFileSync(new URL('../src/agent/outputs.ts', import.meta.url), 'utf8'), /readFileSync/, 'outputs are never read whole into memory');
    const out = join(agentDir, 'big-outputs');
    mkdirSync(join(out, 'model'), { recursive: true });
    const chunk = Buffer.alloc(1 << 20);
    const hash = createHash('sha256');
    const fd = openSync(join(out, 'model', 'weights.bin'), 'w');
    for (let i = 0; i < 96; i++) {
      chunk.fill(i % 251);
      chunk.writeUInt32LE(i, 0);
      writeSync(fd, chunk);
      hash.update(chunk);
    }
    closeSync(fd);
    writeFileSync(join(out, 'small.txt'), 'small\n');
    const big = hash.digest('hex');
    const rss0 = process.memoryUsage.rss();
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    // No such attempt: the blobs go up, the final list is refused, which is all this test needs.
    await assert.rejects(uploadOutputs({ client }, 'no-such-attempt', out), (e: Error) => e instanceof HttpError && e.message.includes('/attempts/no-such-attempt/outputs'));
    clearInterval(sampler);
    const r = await fetch(`${ws}/blobs/missing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sha256: [big, sha('small\n')] }) });
    assert.deepEqual(((await r.json()) as { missing: string[] }).missing, [], 'both arrived whole (the server keeps a blob only when it hashes to its name)');
    assert.ok(peak - rss0 < 32 * 2 ** 20, `memory grew by ${Math.round((peak - rss0) / 2 ** 20)} MiB uploading a 96 MiB file`);
  });
});


/**
 * The same through the whole path: a job file's inputs resolved by the server, laid out by the
 * local agent, used by a sandboxed host job and by a container job (podman).
 */
describe('agent: job inputs end to end', () => {
  const work = tempDir('agent-inputs-e2e');
  let engine: Engine | { skip: string };
  let server: TestServer;
  let client: CairnClient;
  before(async () => {
    engine = startEngine('podman');
    server = new TestServer({ env: 'skip' in engine ? {} : { ...engine.env, CAIRN_AGENT_CONTAINER_ENGINE: 'podman' } });
    await server.start();
    await server.waitForAgent();
    client = new CairnClient({ url: server.url });
    mkdirSync(join(work, 'data', 'sub'), { recursive: true });
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    writeFileSync(join(work, 'data', 'sub', 'b.txt'), 'beta\n');
  });
  after(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const command = [
    'cat ${{inputs.ro}}/a.txt',
    '(echo x >> ${{inputs.ro}}/a.txt) 2>/dev/null && echo ro-written || echo ro-refused',
    '(echo x >> ${{inputs.dl}}/a.txt) 2>/dev/null && echo dl-written || echo dl-refused',
    '[ "$AZURE_ML_INPUT_ro" = "$CAIRN_INPUTS_DIR/ro" ] && echo var-ok',
    'echo result > ${{outputs.model}}/r.txt && echo out-ok',
  ].join('; ');
  async function run(environment?: CommandJobSpec['environment']): Promise<{ job: Job; out: string[]; system: string }> {
    const spec = {
      type: 'command',
      command,
      inputs: { ro: { type: 'uri_folder', path: './data' }, dl: { type: 'uri_folder', path: './data', mode: 'download' } },
      outputs: { model: { type: 'uri_folder' } },
      ...(environment ? { environment } : {}),
    } as CommandJobSpec;
    const created = await submitJob(client, { spec, codeDir: null, inputPaths: { ro: join(work, 'data'), dl: join(work, 'data') } });
    const lines: LogLine[] = [];
    await client.stream(created.name, { onLine: (l) => lines.push(l) });
    const job = await client.getJob(created.name);
    return { job, out: lines.filter((l) => l.stream === 'stdout').map((l) => l.text), system: lines.filter((l) => l.stream === 'system').map((l) => l.text).join('\n') };
  }

  it('a host job reads its ro_mount input, cannot write it, writes its download copy and its output folder', async () => {
    const { job, out } = await run();
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    assert.deepEqual(out, ['alpha', 'ro-refused', 'dl-written', 'var-ok', 'out-ok']);
    assert.ok(job.outputs_collected?.some((o) => o.path === 'outputs/model/r.txt'), JSON.stringify(job.outputs_collected));
    assert.ok(job.history?.some((e) => e.status === 'Preparing' && e.reason === "fetching input 'ro' (11 B, 2 files)"), JSON.stringify(job.history));
  });

  it('a container job sees the same: the shared tree as a read-only volume at the same path', async (t) => {
    if ('skip' in engine) return t.skip(engine.skip);
    const { job, out } = await run({ image: 'localhost/cairn-test-busybox:1' } as CommandJobSpec['environment']);
    assert.equal(job.status, 'Completed', job.status_reason ?? '');
    assert.deepEqual(out, ['alpha', 'ro-refused', 'dl-written', 'var-ok', 'out-ok']);
  });
});
