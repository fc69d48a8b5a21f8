import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connectSsh } from './src/transports/ssh/index.ts';
const key = readFileSync('/tmp/cairn-ssh/client_ed25519', 'utf8');
let t = performance.now();
const lap = (what: string) => { const n = performance.now(); console.log(what, (n - t).toFixed(0), 'ms'); t = n; };
const s = await connectSsh({ host: '127.0.0.1', port: 2222, username: 'root', privateKey: key });
lap('connect');
for (let i = 0; i < 3; i++) { await s.exec('true'); lap('exec true'); }
await s.exec('python3 -c "print(1)"'); lap('python3');
const data = randomBytes(1 << 20);
await s.upload(data, '/tmp/probe.bin'); lap('upload 1MB (incl sftp open)');
await s.upload(data, '/tmp/probe.bin'); lap('upload 1MB');
await s.exec('sha256sum /tmp/probe.bin'); lap('sha');
await s.close(); lap('close');
