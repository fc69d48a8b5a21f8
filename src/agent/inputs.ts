import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedInput, ResolvedOutput } from '../protocol/data.ts';
import type { ManifestEntry } from '../protocol/snapshot.ts';
import { checkRelativePath } from '../protocol/paths.ts';
import type { BlobCache } from './blob-cache.ts';
import { PermanentError } from './client.ts';
import { urlFileName, type HttpInputs } from './http-inputs.ts';
import { removeTree, type InputTrees } from './input-trees.ts';
import { giveTo, type Bind, type JobUser } from './sandbox.ts';
import { humanSize } from '../protocol/sizes.ts';

/** What the node keeps for job data: the blob cache, the shared read-only trees, the fetched URLs. */
export interface NodeData {
  blobs: BlobCache;
  trees: InputTrees;
  http: HttpInputs;
}

export interface LayoutHooks {
  /** Retries while the server is unreachable (the attempt's own policy). */
  retrying<T>(fn: () => Promise<T>): Promise<T>;
  /** A 'preparing' detail for the job's history. */
  status(detail: string): void;
  /** A line in the job's preparation log. */
  log(line: string): void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const shared = (i: ResolvedInput) => i.mode === 'ro_mount' || i.mode === 'eval_mount';

/**
 * One attempt's data inputs and outputs, Azure ML v2 style: every input laid out under
 * `<attemptDir>/inputs/<name>` before the command starts, every named output's folder made.
 * ro_mount/eval_mount: the node's shared read-only tree of that content (see input-trees.ts),
 * shown as a symlink here; a sandboxed host job gets a read-only bind of it instead (sandboxBinds),
 * a container a `:ro` volume at the same path (containerMounts). download/eval_download and
 * rw_mount: a private writable copy (nothing is written back: a node has no mount to write
 * through). direct: nothing; the command has the URI.
 */
export class JobInputs {
  /** `<attemptDir>/inputs`: CAIRN_INPUTS_DIR. */
  readonly dir: string;
  private readonly node: NodeData;
  private readonly inputs: ResolvedInput[];
  private readonly outputs: ResolvedOutput[];
  /** Input name -> the shared tree it shows (ro inputs only), as laid out or as resumed. */
  private shown = new Map<string, string>();
  private held: string[] = [];
  private readonly abort = new AbortController();
  /** Snapshot id -> its entries, fetched (with their blobs) once per layout however many inputs share it. */
  private readonly fetched = new Map<string, Promise<ManifestEntry[]>>();

  constructor(node: NodeData, attemptDir: string, inputs: ResolvedInput[] = [], outputs: ResolvedOutput[] = []) {
    this.node = node;
    this.dir = join(attemptDir, 'inputs');
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** The path the command was given for an input (its file for uri_file), or the URI itself for direct. */
  pathOf(i: ResolvedInput): string {
    if (i.mode === 'direct') return i.uri;
    const file = fileOf(i);
    return file ? join(this.dir, i.name, file) : join(this.dir, i.name);
  }

  /** CAIRN_INPUTS_DIR and Azure's AZURE_ML_INPUT_<name> / AZURE_ML_OUTPUT_<name>, the same paths the command got. */
  vars(wd: string): Record<string, string> {
    const v: Record<string, string> = this.inputs.length ? { CAIRN_INPUTS_DIR: this.dir } : {};
    for (const i of this.inputs) v[`AZURE_ML_INPUT_${i.name}`] = this.pathOf(i);
    for (const o of this.outputs) v[`AZURE_ML_OUTPUT_${o.name}`] = join(wd, 'outputs', o.name);
    return v;
  }

  /** Lays every input out (again, after a crash mid-way) and makes the outputs' folders. */
  async layOut(wd: string, h: LayoutHooks): Promise<void> {
    // Names become paths and variable names: the server checked them, the node does not rely on it.
    for (const n of [...this.inputs, ...this.outputs].map((x) => x.name)) if (!NAME.test(n)) throw new PermanentError(`input or output name '${n.slice(0, 80)}' is not letters, digits and _`);
    for (const o of this.outputs) if (o.type !== 'uri_file') mkdirSync(join(wd, 'outputs', o.name), { recursive: true });
    if (!this.inputs.length) return;
    this.end();
    mkdirSync(this.dir, { recursive: true });
    for (const i of this.inputs) {
      try {
        await this.layOne(i, h);
      } catch (err) {
        if (err instanceof PermanentError && err.message.startsWith(`input '${i.name}'`)) throw err;
        throw new PermanentError(`input '${i.name}': ${(err as Error).message}`);
      }
    }
    if (this.inputs.some((i) => i.mode === 'rw_mount')) h.log('note: rw_mount inputs are private copies on this node: what the job changes in them stays with the job');
    const held = join(this.dir, '..', 'inputs-held.json');
    writeFileSync(`${held}.tmp`, JSON.stringify(Object.fromEntries(this.shown)));
    renameSync(`${held}.tmp`, held);
  }

  private async layOne(i: ResolvedInput, h: LayoutHooks): Promise<void> {
    if (i.mode === 'direct') return;
    const file = fileOf(i);
    if (file !== undefined) checkRelativePath(file, 'file');
    const at = join(this.dir, i.name);
    let key: string;
    let entries: ManifestEntry[] | null = null;
    if (i.url) {
      h.status(`fetching input '${i.name}' from ${i.url}`);
      const got = await this.node.http.fetch(i.name, i.url, this.abort.signal);
      entries = [{ path: file!, mode: 0o644, size: got.size, sha256: got.sha256 }];
      key = createHash('sha256').update(`url-file\0${file}\0${got.sha256}`).digest('hex');
    } else if (i.snapshot_id) {
      key = i.snapshot_id;
    } else {
      throw new PermanentError(`input '${i.name}': the server sent neither content nor a URL for mode ${i.mode}`);
    }
    if (shared(i)) {
      this.held.push(key);
      // Already made for an earlier job: nothing to fetch and nothing to do per file.
      const known = entries;
      const tree = this.node.trees.acquire(key) ?? (await this.node.trees.provide(key, async () => known ?? (await this.fetch(i, key, h))));
      this.shown.set(i.name, tree);
      symlinkSync(tree, at);
      return;
    }
    entries ??= await this.fetch(i, key, h);
    this.node.blobs.materialize(entries, at);
  }

  private fetch(i: ResolvedInput, snapshotId: string, h: LayoutHooks): Promise<ManifestEntry[]> {
    let p = this.fetched.get(snapshotId);
    if (!p) this.fetched.set(snapshotId, (p = this.fetchOnce(i, snapshotId, h)));
    return p;
  }

  private async fetchOnce(i: ResolvedInput, snapshotId: string, h: LayoutHooks): Promise<ManifestEntry[]> {
    const entries = await h.retrying(() => this.node.blobs.fetchManifest(snapshotId));
    const bytes = entries.reduce((n, e) => n + e.size, 0);
    h.status(`fetching input '${i.name}' (${humanSize(bytes)}, ${entries.length} file${entries.length === 1 ? '' : 's'})`);
    const fetched = await h.retrying(() => this.node.blobs.ensure(entries, `file of input '${i.name}'`));
    const distinct = new Set(entries.filter((e) => e.link === undefined).map((e) => e.sha256)).size;
    h.log(`input '${i.name}': fetched ${fetched} of ${distinct} file contents; the rest were on this node`);
    return entries;
  }

  /** After an agent restart with the job running: its shared trees are held again, so none is evicted under it. */
  resume(): void {
    if (this.held.length) return;
    try {
      this.shown = new Map(Object.entries(JSON.parse(readFileSync(join(this.dir, '..', 'inputs-held.json'), 'utf8')) as Record<string, string>));
    } catch {
      return;
    }
    for (const path of new Set(this.shown.values())) {
      const key = path.slice(this.node.trees.dir.length + 1);
      this.node.trees.acquire(key);
      this.held.push(key);
    }
  }

  /**
   * A sandboxed host job: each shared tree is bound read-only onto its own empty folder (a bind
   * cannot land on the symlink), after the inputs folder itself, which holds the private copies.
   */
  sandboxBinds(user: JobUser | undefined): Bind[] {
    if (!this.inputs.length) return [];
    for (const name of this.shown.keys()) {
      rmSync(join(this.dir, name), { force: true });
      mkdirSync(join(this.dir, name));
    }
    giveTo(user, this.dir);
    return [{ path: this.dir }, ...[...this.shown].map(([name, source]) => ({ path: join(this.dir, name), source, ro: true }))];
  }

  /** A container sees the inputs folder and the shared trees its symlinks point to, read-only, at the same paths. */
  containerMounts(): { path: string; ro?: boolean }[] {
    if (!this.inputs.length) return [];
    return [{ path: this.dir }, ...[...new Set(this.shown.values())].map((path) => ({ path, ro: true }))];
  }

  /** Why a host job without a sandbox could still change its read-only inputs (null when it has none). */
  unsandboxedNote(): string | null {
    if (!this.shown.size) return null;
    return `note: without a sandbox the read-only inputs (${[...this.shown.keys()].join(', ')}) are shared by this node's jobs and protected only by their permission bits`;
  }

  cancel(): void {
    this.abort.abort(new Error('the job was canceled'));
  }

  /** The job is over (or its layout is redone): its trees may be evicted, its private copies go. */
  end(): void {
    for (const k of this.held) this.node.trees.release(k);
    this.held = [];
    this.shown.clear();
    this.fetched.clear();
    removeTree(this.dir);
  }
}

/** The file the command names inside the input's folder: the server's `file`, or for a URL the name it would give. */
function fileOf(i: ResolvedInput): string | undefined {
  return i.file ?? (i.url ? urlFileName(i.url) : undefined);
}

