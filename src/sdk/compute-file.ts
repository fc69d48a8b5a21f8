import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap } from 'yaml';
import { applySet, parseSet, parseYamlDocument, readYamlFile } from './yaml-file.ts';
import { diskFiles, type LocalFiles } from './local-files.ts';
import { CairnError } from '../protocol/errors.ts';
import { COMPUTE_TYPES, isAttachedType, parseComputeSpec, type ComputeSpec } from '../protocol/compute.ts';

const KEY_FILE = 'ssh_settings.ssh_private_key_file';

export interface LoadOptions {
  /** Dotted field names and values that override the file (flags); undefined values are skipped. */
  overrides?: Record<string, unknown>;
  /** Refuse a type that the other command handles: machines you have are attached, the rest created. */
  mode?: 'create' | 'attach';
}

/**
 * Reads an Azure ML v2 compute file (`az ml compute create/attach -f`), applies `--set a.b=v`
 * overrides and checks it as the server will, so mistakes are caught before anything is sent.
 * `ssh_settings.ssh_private_key_file` is read relative to the file's folder (`~/` is the home
 * folder) and its text sent as `ssh_settings.ssh_key_value`: the server may be another machine.
 */
export function loadComputeFile(file: string, sets: string[] = [], o: LoadOptions = {}): ComputeSpec {
  return parseComputeYaml(readYamlFile(file, 'compute'), file, sets, o);
}

/** The text of a compute file, read already (the server's parse route gets it from a client). */
export function parseComputeYaml(text: string, file: string, sets: string[] = [], o: LoadOptions = {}, fs: LocalFiles = diskFiles): ComputeSpec {
  const { doc } = parseYamlDocument(text, file);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${file}: a compute file must be a YAML mapping of fields`);
  for (const [k, v] of Object.entries(o.overrides ?? {})) if (v !== undefined) doc.setIn(k.split('.'), v);
  for (const s of sets) applySet(doc, s);
  const raw = doc.toJS() as Record<string, unknown>;
  // A key path from the file is relative to the file; one from a flag or --set to where the command runs.
  const keyGiven = o.overrides?.[KEY_FILE] !== undefined || sets.some((s) => s.startsWith(`${KEY_FILE}=`));
  const base = keyGiven ? fs.cwd() : dirname(resolve(fs.cwd(), file));
  return checkComputeSpec(raw, { baseDir: base, where: file, mode: o.mode }, fs);
}

/**
 * A compute spec built from flags (and `--set`) rather than a file: the same key reading and checks.
 * Key paths are relative to the current folder.
 */
export function computeSpecFromFlags(fields: Record<string, unknown>, sets: string[] = [], o: Pick<LoadOptions, 'mode'> = {}, fs: LocalFiles = diskFiles): ComputeSpec {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) setPath(raw, k.split('.'), v);
  for (const s of sets) {
    const [path, value] = parseSet(s);
    setPath(raw, path, value);
  }
  return checkComputeSpec(raw, { baseDir: fs.cwd(), mode: o.mode }, fs);
}

/** An update's patch from `--set` and flags, with a key file read as for create. */
export function computePatch(fields: Record<string, unknown>, sets: string[] = [], fs: LocalFiles = diskFiles): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) setPath(patch, k.split('.'), v);
  for (const s of sets) {
    const [path, value] = parseSet(s);
    setPath(patch, path, value);
  }
  readKeyFile(patch, fs.cwd(), fs);
  return patch;
}

function checkComputeSpec(raw: Record<string, unknown>, o: { baseDir: string; where?: string; mode?: 'create' | 'attach' }, fs: LocalFiles): ComputeSpec {
  const located = (err: unknown) => (err instanceof CairnError && o.where ? new CairnError(err.code, `${o.where}: ${err.message}`, err.details, err.status) : err);
  const type = raw.type;
  if (o.mode && typeof type === 'string' && (COMPUTE_TYPES as readonly string[]).includes(type) && isAttachedType(type) !== (o.mode === 'attach')) {
    const a = /^[aeiou]/.test(type) ? 'an' : 'a';
    const why = o.mode === 'create' ? `${a} ${type} compute is attached, not created: use 'cairn compute attach'` : `${a} ${type} compute is created, not attached: use 'cairn compute create'`;
    throw located(new CairnError('ValidationError', why));
  }
  readKeyFile(raw, o.baseDir, fs);
  try {
    // The size is the server's to judge: it may define sizes of its own (CAIRN_SIZES_FILE).
    return parseComputeSpec(raw, null);
  } catch (err) {
    throw located(err);
  }
}

/**
 * Puts the text of `ssh_settings.ssh_private_key_file` into `ssh_settings.ssh_key_value`, keeping
 * the path; the same for a provider's `provider.ssh_settings`, and a provider's scripts written as
 * ./path or ../path become absolute (the server runs them; the path is the same where both share a machine).
 */
function readKeyFile(raw: Record<string, unknown>, baseDir: string, fs: LocalFiles): void {
  const provider = raw.provider as Record<string, unknown> | undefined;
  const bags = [raw.ssh_settings, typeof provider === 'object' && provider !== null ? provider.ssh_settings : undefined];
  for (const ssh of bags as (Record<string, unknown> | undefined)[]) {
    const file = ssh?.ssh_private_key_file;
    if (!ssh || typeof ssh !== 'object' || typeof file !== 'string' || !file) continue;
    const path = file === '~' || file.startsWith('~/') ? resolve(fs.home(), file.slice(2)) : isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      ssh.ssh_key_value = fs.readText(path);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new CairnError('ValidationError', `cannot read ssh_private_key_file ${path}: ${why}`);
    }
  }
  if (typeof provider !== 'object' || provider === null || provider.type !== 'command') return;
  for (const k of ['create', 'delete']) {
    const cmd = provider[k];
    const m = typeof cmd === 'string' ? /^\s*(\.\.?\/\S*)(.*)$/s.exec(cmd) : null;
    if (m) provider[k] = `'${resolve(baseDir, m[1]!).replace(/'/g, `'\\''`)}'${m[2]}`;
  }
}

/** `--set a.b=value`, as `az ml compute create --set`: the value is read as YAML (numbers, booleans). */
function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let at = obj;
  for (const k of path.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null || Array.isArray(at[k])) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
}
