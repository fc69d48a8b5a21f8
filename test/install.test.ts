// Cairn as others get it: `npm pack`, then `npm install -g` of the tarball into a prefix of its own,
// then `cairn` from an unrelated folder with the machine's own Node first on PATH (20 here) and no
// trace of the clone. `cairn` execs the Node 24 that comes with the package; `node bin/cairn.js` on
// the older Node hands over to it (the server below runs that way, to see signals and the exit status
// pass through). Installing takes 10-60 s (npm fetches the `node` package's binary, from its cache
// when it has it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT, pidAlive, tempDir, waitFor } from './helpers/cairn.ts';
import { buildCli } from '../scripts/build-cli.ts';
import { COMMAND_HELP, type CommandName } from '../src/cli/commands/help.ts';
import { COMMANDS, invokedCommand } from '../src/cli/commands/index.ts';
import { browserCommand } from '../src/cli/commands/studio.ts';
import { makeCli } from '../src/cli/context.ts';

/** The environment of someone who installed Cairn: the prefix's bin first, nothing of the clone or of npm test's own run. */
function userEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') || k.startsWith('CAIRN_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  const path = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).filter((p) => p && !p.includes('node_modules') && !p.startsWith(ROOT));
  env.PATH = [join(prefix, 'bin'), ...path].join(delimiter);
  return { ...env, ...extra };
}

/** The installed launcher itself (what `cairn` links to). */
const launcher = (prefix: string) => join(prefix, 'lib', 'node_modules', 'cairn-ml', 'bin', 'cairn.js');

function run(cmd: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number }) {
  const r = spawnSync(cmd, args, { env: o.env, cwd: o.cwd, encoding: 'utf8', timeout: o.timeoutMs ?? 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('install: npm pack, npm install -g, cairn from anywhere', { timeout: 600_000 }, () => {
  const work = tempDir('install');
  const prefix = join(work, 'prefix');
  const home = join(work, 'home');
  const project = join(work, 'project');
  let tarball = '';
  let files: string[] = [];
  let server: ChildProcess | null = null;
  let serverLog = '';

  before(async () => {
    // What `npm ci` builds: the studio (when missing) and the CLI from the sources as they are now.
    if (!existsSync(join(ROOT, 'dist', 'studio', 'index.html'))) await (await import('../scripts/build.ts')).buildStudio();
    await buildCli();
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { env: { ...process.env }, cwd: ROOT, timeoutMs: 120_000 });
    assert.equal(pack.code, 0, pack.stderr);
    const info = JSON.parse(pack.stdout)[0] as { filename: string; size: number; files: { path: string }[] };
    tarball = join(work, info.filename);
    files = info.files.map((f) => f.path);
    console.log(`# tarball ${info.filename}: ${(info.size / 1024).toFixed(0)} KiB, ${files.length} files`);
    mkdirSync(project, { recursive: true });
  });

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    // The agent of a server killed that way outlives it: end it by its pid file.
    try {
      const pid = Number(readFileSync(join(home, 'agents', 'local', 'agent.pid'), 'utf8'));
      if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    } catch {}
    rmSync(work, { recursive: true, force: true });
  });

  it('packs the launcher, the built CLI, agent, SDK, studio and Python module, and no sources or tests', () => {
    for (const f of ['package.json', 'README.md', 'bin/cairn.js', 'dist/cli.js', 'dist/agent.js', 'dist/sdk.js', 'dist/protocol.js', 'dist/studio/index.html', 'dist/python/cairn/__init__.py']) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && !f.startsWith('bin/') && !['package.json', 'README.md'].includes(f)), []);
    assert.ok(!files.some((f) => f.endsWith('.ts')), 'no TypeScript');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin.cairn, 'bin/cairn.js');
    assert.notEqual(pkg.name, 'cairn', "npm's `cairn` is another project");
    assert.ok(pkg.dependencies.node, 'the Node 24 the launcher falls back on is installed with the package');
  });

  it('installs globally into a prefix with the machine\'s npm', () => {
    const t0 = Date.now();
    const r = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { env: userEnv(prefix), cwd: work, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `npm install -g failed:\n${r.stdout}\n${r.stderr}`);
    console.log(`# npm install -g took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(existsSync(join(prefix, 'bin', 'cairn')));
  });

  it('runs from any folder on the machine\'s default Node: --version, --help, exit codes', () => {
    const env = userEnv(prefix, { CAIRN_HOME: home });
    const nodeVersion = run('node', ['--version'], { env, cwd: project }).stdout.trim();
    console.log(`# default node on PATH: ${nodeVersion}${Number(nodeVersion.slice(1).split('.')[0]) < 24 ? ' (the launcher hands over to the packaged Node 24)' : ''}`);
    const version = run('cairn', ['--version'], { env, cwd: project });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), '0.1.0');
    const viaNode = run('node', [launcher(prefix), '--version'], { env, cwd: project });
    assert.equal(viaNode.code, 0, viaNode.stderr);
    assert.equal(viaNode.stdout.trim(), '0.1.0');
    const help = run('cairn', ['--help'], { env, cwd: project });
    assert.equal(help.code, 0, help.stderr);
    for (const c of ['job', 'run', 'compute', 'environment', 'studio', 'server']) assert.match(help.stdout, new RegExp(`\\n  ${c}\\b`));
    const bad = run('cairn', ['no-such-command'], { env, cwd: project });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown command 'no-such-command'/);
  });

  it('serves, runs a job with the packaged Python module, opens the studio, and stops on SIGTERM', async () => {
    const env = userEnv(prefix, { CAIRN_HOME: home, CAIRN_LOG_LEVEL: 'warn', CAIRN_HEARTBEAT_MS: '500' });
    // Through the machine's own node: the launcher hands over to the packaged Node 24 and forwards SIGTERM.
    server = spawn('node', [launcher(prefix), 'server', '--port', '0'], { env, cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (serverLog += d));
    server.stderr!.on('data', (d) => (serverLog += d));
    const url = await waitFor('the server to write server.json', async () => {
      if (server!.exitCode !== null) throw new Error(`the server exited:\n${serverLog}`);
      try {
        return (JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as { url: string }).url;
      } catch {
        return null;
      }
    });
    const cli = { ...env, CAIRN_SERVER: url };
    writeFileSync(join(project, 'train.py'), 'import cairn\ncairn.log_metric("answer", 42)\nprint(42)\n');
    const job = run('cairn', ['run', '--', 'python3', 'train.py'], { env: cli, cwd: project, timeoutMs: 120_000 });
    assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}\n${serverLog}`);
    assert.match(job.stdout, /^42$/m);
    assert.match(job.stderr, /Completed/);
    const name = /job (\S+) submitted/.exec(job.stderr)![1]!;
    // Served by the packaged server: the agent is the prebuilt bundle, the studio the packaged build.
    const agentPid = Number(readFileSync(join(home, 'agents', 'local', 'agent.pid'), 'utf8'));
    assert.match(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8'), /cairn-ml\/dist\/agent\.js/);
    const shown = JSON.parse(run('cairn', ['job', 'show', '-n', name, '-o', 'json'], { env: cli, cwd: project }).stdout);
    assert.equal(shown.status, 'Completed');
    const studio = run('cairn', ['studio', '--no-browser'], { env: { ...env, DISPLAY: '' }, cwd: project });
    assert.equal(studio.code, 0, studio.stderr);
    assert.equal(studio.stdout.trim(), `${url}/`);
    const page = await fetch(studio.stdout.trim());
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Cairn studio<\/title>/);
    // A missing job: the error and the exit status come through the launcher.
    const missing = run('cairn', ['job', 'show', '-n', 'no_such_job'], { env: cli, cwd: project });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*no_such_job/m);
    // SIGTERM to the command the user started reaches the server, which stops in order.
    const exited = new Promise<number | null>((r) => server!.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0, serverLog);
    assert.match(serverLog, /SIGTERM: stopping the server/);
    await waitFor('the agent to stop with its server', async () => !pidAlive(agentPid), 15_000);
  });
});

describe('the CLI loads only the command it runs', () => {
  it('lists every command with the description and usage the command itself has', async () => {
    const cli = makeCli({});
    for (const name of Object.keys(COMMAND_HELP) as CommandName[]) {
      const cmd = (await COMMANDS[name]())(cli);
      assert.equal(cmd.name(), name);
      assert.equal(cmd.description(), COMMAND_HELP[name].description, name);
      assert.equal(cmd.createHelp().subcommandTerm(cmd), COMMAND_HELP[name].term, name);
    }
  });

  it('finds the command past the global options, and help <command>', () => {
    assert.equal(invokedCommand(['job', 'create', '-f', 'x.yml']), 'job');
    assert.equal(invokedCommand(['--server', 'http://h:1', '-o', 'json', 'compute', 'list']), 'compute');
    assert.equal(invokedCommand(['--workspace', 'run', 'job', 'list']), 'job');
    assert.equal(invokedCommand(['help', 'environment']), 'environment');
    assert.equal(invokedCommand(['--help']), undefined);
    assert.equal(invokedCommand(['nope']), undefined);
    assert.equal(invokedCommand(['--', 'job']), undefined);
  });

  it('opens a browser only where there is a display', () => {
    assert.equal(browserCommand('http://x/', {}, 'linux'), null);
    assert.deepEqual(browserCommand('http://x/', { DISPLAY: ':0' }, 'linux'), ['xdg-open', 'http://x/']);
    assert.deepEqual(browserCommand('http://x/', { WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), ['xdg-open', 'http://x/']);
    assert.deepEqual(browserCommand('http://x/', {}, 'darwin'), ['open', 'http://x/']);
  });
});
