import type { Readable } from 'node:stream';
import { CairnError } from '../../protocol/errors.ts';
import { type Datastore, DatastoreSpec, WORKSPACE_BLOBSTORE } from '../../protocol/data.ts';
import type { ManifestEntry } from '../../protocol/snapshot.ts';
import { MAX_MANIFEST_ENTRIES } from '../../protocol/snapshot.ts';
import type { Store } from '../../store/index.ts';
import type { DatastoreRow } from '../../store/datastores.ts';
import { openDatastore } from '../../datastores/registry.ts';
import { DatastoreError, type DatastoreBackend } from '../../datastores/types.ts';
import { exportTree, importTree } from '../../datastores/transfer.ts';
import { SftpDatastore } from '../../datastores/sftp.ts';
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { FsBlobs } from '../blobs/fs-blobs.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

export interface DatastoresDeps {
  store: Store;
  blobs: FsBlobs;
  secrets: SecretBox;
  maxBlobBytes: number;
  /** The folder behind workspaceblobstore, inside the server's data folder. */
  workspaceStoreDir: string;
  /** The server's data folder: no folder datastore may reach it. */
  dataDir: string;
}

type Secrets = Record<string, unknown>;

/**
 * `az ml datastore`, and moving content between a datastore and the blob store: an input read
 * from a datastore is imported once (files whose stamp is unchanged are not downloaded again),
 * an output written to one is exported when its job ends. `workspaceblobstore` is built in.
 */
export class DatastoresService {
  private readonly d: DatastoresDeps;
  constructor(deps: DatastoresDeps) {
    this.d = deps;
  }

  async create(workspace: string, raw: unknown): Promise<Datastore> {
    const parsed = DatastoreSpec.safeParse(raw);
    if (!parsed.success) throw new CairnError('ValidationError', oneLine(parsed.error));
    const spec = parsed.data;
    if (spec.name === WORKSPACE_BLOBSTORE) throw new CairnError('AlreadyExists', `${WORKSPACE_BLOBSTORE} is built in (the server's own blob store) and cannot be replaced`);
    if (spec.type === 'sftp' && !spec.credentials.password && !spec.credentials.private_key) throw new CairnError('ValidationError', 'credentials: give a password or a private_key for the sftp login');
    if (spec.type === 'local_folder') this.checkFolder(spec.path);
    // A datastore that cannot be reached, or refuses the credentials, is refused now, not at a job's start.
    await this.withBackend(spec, async (b) => {
      await b.probe();
      // Trust on first use, as attaching a machine does: later connections must present the same key.
      if (spec.type === 'sftp' && !spec.host_key && b instanceof SftpDatastore) spec.host_key = b.seenHostKey;
    });
    const { pub, secrets } = split(spec);
    const row = { workspace, name: spec.name, type: spec.type, spec: JSON.stringify(pub), secrets: secrets ? this.d.secrets.seal(secrets) : null, created_at: new Date().toISOString() };
    if (await this.d.store.datastores.get(workspace, spec.name)) await this.d.store.datastores.replace(row);
    else await this.d.store.datastores.insert(row);
    return this.show(workspace, spec.name);
  }

  async show(workspace: string, name: string): Promise<Datastore> {
    if (name === WORKSPACE_BLOBSTORE) return builtIn(this.d.workspaceStoreDir);
    const row = await this.d.store.datastores.get(workspace, name);
    if (!row) throw new CairnError('NotFound', `datastore '${name}' does not exist${await this.known(workspace)}`);
    return view(row);
  }

  async list(workspace: string): Promise<Datastore[]> {
    return [builtIn(this.d.workspaceStoreDir), ...(await this.d.store.datastores.list(workspace)).map(view)];
  }

  async delete(workspace: string, name: string): Promise<void> {
    if (name === WORKSPACE_BLOBSTORE) throw new CairnError('Conflict', `${WORKSPACE_BLOBSTORE} is built in and cannot be deleted`);
    if (!(await this.d.store.datastores.delete(workspace, name))) throw new CairnError('NotFound', `datastore '${name}' does not exist`);
  }

  /** The full spec of a registered datastore, credentials unsealed (for the server's own use only). */
  async spec(workspace: string, name: string): Promise<DatastoreSpec> {
    if (name === WORKSPACE_BLOBSTORE) return { name, type: 'local_folder', path: this.d.workspaceStoreDir };
    const row = await this.d.store.datastores.get(workspace, name);
    if (!row) throw new CairnError('UnknownDatastore', `datastore '${name}' does not exist${await this.known(workspace)}`);
    const secrets = row.secrets ? this.d.secrets.unseal<Secrets>(row.secrets) : {};
    const pub = JSON.parse(row.spec) as Record<string, unknown>;
    return DatastoreSpec.parse({ ...pub, ...(Object.keys(secrets).length ? { credentials: { ...(pub.credentials as object), ...secrets } } : {}) });
  }

  /** Whether a registered datastore answers and takes its credentials (an output's, checked at submit). */
  async probe(workspace: string, name: string): Promise<void> {
    const spec = await this.spec(workspace, name);
    await this.withBackend(spec, (b) => b.probe());
  }

  /** Imports the files at a datastore path into the blob store: what the node then fetches like any content. */
  async importPath(workspace: string, name: string, path: string): Promise<{ isFile: boolean; entries: ManifestEntry[] }> {
    const spec = await this.spec(workspace, name);
    return this.withBackend(spec, (b) =>
      importTree(b, path, this.d.blobs, this.memory(), { memoryKey: `${workspace}/${name}`, maxFiles: MAX_MANIFEST_ENTRIES, maxBytes: this.d.maxBlobBytes }),
    );
  }

  /** Writes a content tree to a datastore path (an output's `path:`); returns how many files. */
  async exportTo(workspace: string, name: string, path: string, entries: ManifestEntry[]): Promise<number> {
    const spec = await this.spec(workspace, name);
    return this.withBackend(spec, (b) => exportTree(b, path, entries, { stream: (sha: string): Readable => this.d.blobs.stream(sha) }));
  }

  async exists(workspace: string, name: string): Promise<boolean> {
    return name === WORKSPACE_BLOBSTORE || (await this.d.store.datastores.get(workspace, name)) !== undefined;
  }

  /**
   * A folder datastore must not reach the server's data folder (its secret key, database and blobs)
   * nor lie inside it: jobs read datastores, and must never see those.
   */
  private checkFolder(path: string): void {
    const real = (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return resolve(p);
      }
    };
    const folder = real(path);
    const data = real(this.d.dataDir);
    const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
    if (inside(data, folder) || inside(folder, data)) throw new CairnError('ValidationError', `datastore path '${path}' ${inside(folder, data) ? 'lies inside' : 'holds'} the server's data folder, which jobs must never see; choose a folder apart from ${this.d.dataDir}`);
  }

  private memory() {
    const repo = this.d.store.datastores;
    return { get: (key: string) => repo.stamp(key), set: (entries: { key: string; sha256: string }[]) => repo.setStamps(entries) };
  }

  private async withBackend<T>(spec: DatastoreSpec, fn: (b: DatastoreBackend) => Promise<T>): Promise<T> {
    const backend = openDatastore(spec);
    try {
      return await fn(backend);
    } catch (err) {
      throw asCairnError(spec.name, err);
    } finally {
      await backend.close().catch(() => {});
    }
  }

  private async known(workspace: string): Promise<string> {
    const names = [WORKSPACE_BLOBSTORE, ...(await this.d.store.datastores.list(workspace)).map((r) => r.name)];
    return ` (there are: ${names.join(', ')})`;
  }
}

/** A datastore's failure as the user's error: one line naming the datastore. */
export function asCairnError(name: string, err: unknown): Error {
  if (!(err instanceof DatastoreError)) return err as Error;
  const msg = `datastore '${name}': ${err.message}`;
  const code = { NotFound: 'NotFound', Unreachable: 'DatastoreUnreachable', Denied: 'DatastoreDenied', Invalid: 'ValidationError', TooLarge: 'PayloadTooLarge' }[err.code];
  return new CairnError(code, msg);
}

function split(spec: DatastoreSpec): { pub: Record<string, unknown>; secrets: Secrets | null } {
  if (spec.type === 'local_folder') return { pub: { ...spec }, secrets: null };
  if (spec.type === 'sftp') {
    const { password, private_key, ...rest } = spec.credentials;
    return { pub: { ...spec, credentials: rest }, secrets: { ...(password ? { password } : {}), ...(private_key ? { private_key } : {}) } };
  }
  const { secret_access_key, ...rest } = spec.credentials;
  return { pub: { ...spec, credentials: rest }, secrets: { secret_access_key } };
}

function view(row: DatastoreRow): Datastore {
  const spec = JSON.parse(row.spec) as Record<string, any>;
  const location =
    row.type === 'local_folder'
      ? String(spec.path)
      : row.type === 'sftp'
        ? `sftp://${spec.credentials?.username}@${spec.host}:${spec.port}/${String(spec.path).replace(/^\//, '')}`
        : `${String(spec.endpoint).replace(/\/$/, '')}/${spec.bucket}${spec.prefix ? `/${spec.prefix}` : ''}`;
  const credentials = row.type === 'sftp' ? ['username', 'password or private key (sealed)'] : row.type === 's3' ? ['access_key_id', 'secret_access_key (sealed)'] : undefined;
  return {
    name: row.name,
    type: row.type,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    is_default: false,
    location,
    ...(credentials ? { credentials } : {}),
    spec,
    created_at: row.created_at,
  };
}

function builtIn(dir: string): Datastore {
  return {
    name: WORKSPACE_BLOBSTORE,
    type: 'workspace_blob',
    description: "The server's own store: a folder in its data folder for outputs written to paths, beside the blob store that holds uploaded inputs, outputs and assets",
    is_default: true,
    location: dir,
    spec: { name: WORKSPACE_BLOBSTORE, type: 'workspace_blob' },
    created_at: '1970-01-01T00:00:00.000Z',
  };
}

function oneLine(err: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = err.issues[0];
  const at = i.path.length ? `${i.path.map(String).join('.')}: ` : '';
  return `datastore: ${at}${i.message}`;
}
