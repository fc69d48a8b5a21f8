import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '../protocol/errors.ts';
import { type Asset, type AssetKind, AssetFileSpec, type CreateAssetRequest, type Datastore, parseDataPath } from '../protocol/data.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import type { Manifest } from '../protocol/snapshot.ts';
import type { CairnClient } from './client.ts';
import { uploadData, type UploadOptions } from './upload.ts';
import { parseYamlDocument, readYamlFile } from './yaml-file.ts';

/** A data or model YAML file: its spec, and the local path it uploads (resolved against the file's folder). */
export function loadAssetFile(file: string, kind: AssetKind, over: { name?: string; version?: string; path?: string } = {}): { spec: AssetFileSpec; localPath: string | null } {
  return parseAssetYaml(readYamlFile(file, kind === 'data' ? 'data asset' : 'model'), file, over);
}

/** The text of a data or model file, read already (the server's parse route gets it from a client). */
export function parseAssetYaml(text: string, file: string, over: { name?: string; version?: string; path?: string } = {}): { spec: AssetFileSpec; localPath: string | null } {
  const raw = (parseYamlDocument(text, file).doc.toJSON() ?? {}) as Record<string, unknown>;
  const merged = { ...raw, ...(over.name ? { name: over.name } : {}), ...(over.version ? { version: over.version } : {}), ...(over.path ? { path: over.path } : {}) };
  return assetSpec(merged, file, over.path ? '.' : dirname(resolve(file)));
}

/**
 * A data or model spec from its fields (a YAML file's, or flags'), checked, with the local path it
 * uploads resolved against `baseDir`; every problem one line starting with `where`.
 */
export function assetSpec(fields: Record<string, unknown>, where: string, baseDir: string): { spec: AssetFileSpec; localPath: string | null } {
  const r = AssetFileSpec.safeParse(fields);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CairnError('ValidationError', `${where}: ${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
  }
  const p = parseDataPath(r.data.path);
  if ('error' in p) throw new CairnError('ValidationError', `${where}: path ${p.error}`);
  return { spec: r.data, localPath: p.kind === 'local' ? resolve(baseDir, p.path) : null };
}

/** `az ml data` / `az ml model` for one kind. */
export class Assets {
  private readonly client: CairnClient;
  readonly kind: AssetKind;
  private readonly plural: string;
  constructor(client: CairnClient, kind: AssetKind) {
    this.client = client;
    this.kind = kind;
    this.plural = kind === 'data' ? 'data' : 'models';
  }

  private url(name?: string, suffix = ''): string {
    return `${this.client.workspaceUrl}/${this.plural}${name ? `/${encodeURIComponent(name)}${suffix}` : ''}`;
  }

  /** Registers a version; a local path is uploaded first (only what the server lacks). */
  async create(spec: AssetFileSpec, localPath: string | null, o: UploadOptions = {}): Promise<Asset> {
    let upload: Pick<CreateAssetRequest, 'snapshot_id' | 'file'> = {};
    if (localPath) {
      try {
        statSync(localPath);
      } catch {
        throw new CairnError('ValidationError', `path '${spec.path}' does not exist (looked in ${localPath})`);
      }
      upload = await uploadData(this.client, localPath, o);
    }
    return this.client.json('POST', this.url(), { spec, ...upload } satisfies CreateAssetRequest);
  }

  get(name: string, version?: string): Promise<Asset> {
    return this.client.json('GET', `${this.url(name)}${version ? `?version=${encodeURIComponent(version)}` : ''}`);
  }

  async list(o: { name?: string; archived?: 'true' | 'false' | 'all' } = {}): Promise<Asset[]> {
    const q = new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined) as [string, string][]);
    const r = await this.client.json<Record<string, Asset[]>>('GET', `${this.url()}?${q}`);
    return r[this.plural] ?? [];
  }

  async setArchived(name: string, version: string | undefined, archived: boolean): Promise<number> {
    const r = await this.client.json<{ changed: number }>('POST', `${this.url(name, archived ? '/archive' : '/restore')}${version ? `?version=${encodeURIComponent(version)}` : ''}`);
    return r.changed;
  }

  /** Downloads a version's files into `dest/<name>` (Azure's layout); returns the folder or file written. */
  async download(name: string, version: string | undefined, dest: string): Promise<string> {
    const v = version ? `version=${encodeURIComponent(version)}` : '';
    const m = await this.client.json<Manifest & { file?: string }>('GET', `${this.url(name, '/manifest')}?${v}`);
    const root = join(resolve(dest), name);
    for (const e of m.entries) {
      checkRelativePath(e.path, 'path');
      if (e.link !== undefined) continue;
      const target = join(root, e.path);
      mkdirSync(dirname(target), { recursive: true });
      const res = await this.client.fetch(`${this.url(name, '/content')}?${v}${v ? '&' : ''}path=${encodeURIComponent(e.path)}`);
      const tmp = `${target}.part`;
      await pipeline(res.body as NodeJS.ReadableStream, createWriteStream(tmp));
      renameSync(tmp, target);
    }
    return m.file ? join(root, m.file) : root;
  }
}

/** `az ml datastore`. */
export class Datastores {
  private readonly client: CairnClient;
  constructor(client: CairnClient) {
    this.client = client;
  }

  create(spec: Record<string, unknown>): Promise<Datastore> {
    return this.client.json('POST', `${this.client.workspaceUrl}/datastores`, spec);
  }

  get(name: string): Promise<Datastore> {
    return this.client.json('GET', `${this.client.workspaceUrl}/datastores/${encodeURIComponent(name)}`);
  }

  async list(): Promise<Datastore[]> {
    return (await this.client.json<{ datastores: Datastore[] }>('GET', `${this.client.workspaceUrl}/datastores`)).datastores;
  }

  async delete(name: string): Promise<void> {
    await this.client.fetch(`${this.client.workspaceUrl}/datastores/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
}
