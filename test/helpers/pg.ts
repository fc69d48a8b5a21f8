// PostgreSQL for tests: a server from CAIRN_TEST_PG_URL, or the private one scripts/pg-up.sh starts
// (installing PostgreSQL when missing). Outside CI a machine that cannot run it skips the PostgreSQL
// tests with the reason; with CI=true that is a failure, since nothing may be skipped in CI.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PostgresAvailability {
  url?: string;
  skip?: string;
}

let cached: Promise<PostgresAvailability> | undefined;

/** The base URL of a PostgreSQL server for tests, or why there is none. Runs pg-up.sh once per process. */
export function postgresUrl(): Promise<PostgresAvailability> {
  cached ??= resolveUrl();
  return cached;
}

async function resolveUrl(): Promise<PostgresAvailability> {
  const fromEnv = process.env.CAIRN_TEST_PG_URL;
  if (fromEnv) return { url: fromEnv };
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['scripts/pg-up.sh'], { cwd: ROOT, timeout: 300_000, maxBuffer: 1 << 20 }, (err, out, errOut) => {
        if (err) reject(Object.assign(err, { stderr: String(errOut) }));
        else resolve(String(out));
      });
    });
    const url = stdout.trim().split('\n').pop()?.trim() ?? '';
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`scripts/pg-up.sh printed no connection URL (got ${JSON.stringify(url)})`);
    return { url };
  } catch (err) {
    const reason = `PostgreSQL could not be started: ${firstErrorLine(err)}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: PostgreSQL tests may not be skipped)`, { cause: err });
    return { skip: reason };
  }
}

/** The line that says what went wrong: pg-up.sh's `error:` line when it printed one, else the first line. */
function firstErrorLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const lines = (e.stderr ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.find((l) => /\berror\b/i.test(l)) ?? lines[0];
  return (said ?? (e.message ?? String(err)).split('\n')[0]).replace(/^pg-up: error: /, '');
}

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database on the server of `baseUrl`: empty, or a copy of `template` (the
 * name of a database nobody is connected to, e.g. one already migrated). `drop()` removes it.
 */
export async function freshDatabase(baseUrl: string, prefix: string, opts: { template?: string } = {}): Promise<FreshDatabase> {
  const safe = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40);
  const name = `${safe}_${process.pid}_${randomBytes(5).toString('hex')}`;
  await admin(baseUrl, async (client) => {
    // FILE_COPY (PostgreSQL 15+) copies the small template's files at once: about 3x faster here
    // than the default WAL_LOG, which writes every block of it to the WAL.
    const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    const template = opts.template ? ` TEMPLATE "${opts.template.replace(/"/g, '""')}"` : '';
    await client.query(`CREATE DATABASE "${name}"${template}${version >= 150000 ? ' STRATEGY = FILE_COPY' : ''}`);
  });
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      // A plain DROP first: PostgreSQL waits (up to 5 s) for sessions that are already ending, as a
      // closed pg.Pool's are for a moment after its end() resolved. Terminating those with FORCE
      // would make their clients emit an 'error' nobody listens to any more.
      try {
        await admin(baseUrl, `DROP DATABASE IF EXISTS "${name}"`);
      } catch (err) {
        if ((err as { code?: string }).code !== '55006') throw err; // 55006: still in use
        // A test left a connection open: end it (PostgreSQL 13+).
        await admin(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    },
  };
}

async function admin(baseUrl: string, work: string | ((client: pg.Client) => Promise<void>)): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    if (typeof work === 'string') await client.query(work);
    else await work(client);
  } finally {
    await client.end();
  }
}
