#!/bin/sh
':' /*- cairn, the command: a shell script and an ES module at once
# As a command (npm links bin/cairn to it) the shell runs these lines: they exec the Node 24 that
# comes with the package (the `node` npm package, a dependency) on this file, whatever `node` is first
# on PATH; starting an older Node only to hand over would cost more than all of Cairn's own start.
# Without it (installed with --ignore-scripts, say), the `node` on PATH runs the JavaScript below.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=${self%/*}/$link ;; esac
done
dir=${self%/*}
if [ "$dir" = "$self" ]; then dir=.; fi
for n in "$dir/../node_modules/node/bin/node" "$dir/../../node/bin/node"; do
  if [ -x "$n" ]; then exec "$n" "$self" "$@"; fi
done
exec node "$self" "$@"
*/
// Node runs the JavaScript from here (`node bin/cairn.js`, as the tests and a local server do). It
// is plain JavaScript that any Node since 14 parses, and it does three things:
// - on a Node older than 24 it runs itself again with the Node 24 that comes with the package,
//   passing arguments, stdio, signals and the exit status through;
// - in a clone (src/ next to bin/) it runs the TypeScript sources, which Node 24 runs directly, so
//   the tests and `npx cairn` always run the code as it is now (CAIRN_BUILT=1 runs dist/ instead);
// - in a package it runs the bundle in dist/ (scripts/build-cli.ts): Node refuses to strip types
//   under node_modules, and one bundle starts faster than hundreds of modules.
// The compile cache keeps compiled code on disk, which makes every later start quicker.
import module from 'node:module';

// Built-ins through require: an ES module import of node:fs also loads fs/promises, streams and
// readline (its `promises` export is a getter that every ES import evaluates), a few ms of every start.
const require = module.createRequire(import.meta.url);
const { existsSync } = require('node:fs');
const { fileURLToPath } = require('node:url');

const MIN_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
const self = fileURLToPath(import.meta.url);

if (major < MIN_MAJOR) {
  // Set for the Node this starts: were that one old too, it must say so rather than loop.
  const node = process.env.CAIRN_LAUNCHER_NODE ? null : packagedNode();
  if (!node) {
    const why = process.env.CAIRN_LAUNCHER_NODE ? 'and so is the Node.js that comes with Cairn' : `and the Node.js ${MIN_MAJOR} that comes with Cairn (the 'node' package) is not installed`;
    process.stderr.write(`cairn needs Node.js ${MIN_MAJOR} or newer; this is Node.js ${process.versions.node} (${process.execPath}), ${why}. Reinstall Cairn, or put Node.js ${MIN_MAJOR} first on PATH.\n`);
    process.exit(1);
  }
  const child = require('node:child_process').spawn(node, [self, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, CAIRN_LAUNCHER_NODE: node } });
  // A signal sent to this process (a supervisor's SIGTERM, say) reaches the real one; Ctrl-C in a
  // terminal reaches both, and a second SIGINT is harmless to every command.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
  const forward = (sig) => {
    try {
      child.kill(sig);
    } catch {}
  };
  for (const sig of signals) process.on(sig, forward);
  child.on('error', (err) => {
    process.stderr.write(`cairn: cannot start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    // Ended by a signal: end the same way, so a shell sees what it would have seen.
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  module.enableCompileCache?.();
  const clone = existsSync(new URL('../src/cli/main.ts', import.meta.url)) && !self.includes('/node_modules/') && !process.env.CAIRN_BUILT;
  await import(clone ? '../src/cli/main.ts' : '../dist/cli.js');
}

/** The `node` binary of the `node` npm package, wherever npm put it (nested or hoisted). */
function packagedNode() {
  const candidates = [];
  try {
    const dir = require.resolve('node/package.json').replace(/package\.json$/, '');
    candidates.push(`${dir}bin/node`);
  } catch {}
  for (const up of ['../node_modules/node/bin/node', '../../node/bin/node', '../node_modules/.bin/node', '../../.bin/node']) {
    candidates.push(fileURLToPath(new URL(up, import.meta.url)));
  }
  return candidates.find((c) => existsSync(c) && c !== process.execPath) ?? null;
}
