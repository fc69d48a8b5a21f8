// A real S3-compatible server for tests: @20minutes/s3rver (a devDependency, installed by npm ci),
// which checks SigV4 signatures against its built-in account S3RVER/S3RVER.
import { spawn } from 'node:child_process';
import { AwsClient } from 'aws4fetch';
import { ROOT } from './cairn.ts';

// s3rver signs its continuation tokens with DES, which Node's OpenSSL 3 only has with the legacy
// provider: it runs in its own node process with --openssl-legacy-provider (which also keeps the 20 MB
// transfers off this process's event loop). It prints its port, and exits when its stdin closes.
const S3RVER_MAIN = `
const S3rver = require('@20minutes/s3rver');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1] });
server.run().then((a) => console.log(JSON.stringify({ port: a.port })), (e) => { console.error(e.message); process.exit(1); });
process.stdin.on('end', () => process.exit(0)).resume();
`;
export async function startS3rver(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', S3RVER_MAIN, dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then(() => reject(new Error(`s3rver exited before it listened: ${err.trim()}`)));
  });
  return {
    port,
    stop: async () => {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
export const S3_KEYS = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };
const aws = new AwsClient({ accessKeyId: S3_KEYS.access_key_id, secretAccessKey: S3_KEYS.secret_access_key, service: 's3', region: 'us-east-1' });

/** Makes a bucket with a signed PUT (S3 has no other way). */
export async function makeBucket(endpoint: string, bucket: string): Promise<void> {
  const r = await aws.fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  if (r.status !== 200) throw new Error(`making bucket ${bucket}: ${r.status} ${await r.text()}`);
}

/** Puts one object (a test's fixture). */
export async function putObject(endpoint: string, bucket: string, key: string, body: string): Promise<void> {
  const r = await aws.fetch(`${endpoint}/${bucket}/${key}`, { method: 'PUT', body });
  if (r.status !== 200) throw new Error(`putting ${key}: ${r.status} ${await r.text()}`);
}

/** Reads one object back. */
export async function getObject(endpoint: string, bucket: string, key: string): Promise<{ status: number; text: string }> {
  const r = await aws.fetch(`${endpoint}/${bucket}/${key}`);
  return { status: r.status, text: await r.text() };
}
