import { dirname } from 'node:path';
import type { FileFact, FileNeed, ParseFileRequest, ParseFileResponse } from '../protocol/files.ts';
import { CairnError } from '../protocol/errors.ts';
import type { FileKind, LocalFiles } from './local-files.ts';
import { parseJobObject, parseJobYaml } from './job-file.ts';
import { environmentFromFields, parseEnvironmentYaml } from './environment-file.ts';
import { computeSpecFromFlags, parseComputeYaml } from './compute-file.ts';
import { assetSpec, parseAssetYaml } from './data.ts';
import { parseComponentObject, parseComponentYaml } from './component-file.ts';

/**
 * A client's files as the client described them. A path it has not described yet is noted as
 * needed and answered with what the caller expects (a kind) or an empty mapping, so the parse goes on and
 * finds the other paths in the same round; any answer given while something was needed is thrown away.
 */
export function describedFiles(facts: Record<string, FileFact>, home: string, cwd: string): LocalFiles & { needs: FileNeed[] } {
  const needs = new Map<string, FileNeed>();
  const need = (path: string, read: boolean) => {
    const n = needs.get(path);
    if (n) n.read ||= read;
    else needs.set(path, { path, read });
  };
  return {
    get needs() {
      return [...needs.values()];
    },
    kind(path: string, expect: FileKind): FileKind | null {
      const f = facts[path];
      if (!f) {
        need(path, false);
        return expect;
      }
      return f.kind === 'missing' ? null : f.kind;
    },
    readText(path: string): string {
      const f = facts[path];
      if (f?.text !== undefined) return f.text;
      if (f?.error) throw Object.assign(new Error(f.message ?? f.error), { code: f.error });
      if (f?.kind === 'missing') throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      need(path, true);
      // An empty YAML mapping: a conda file reader takes it and goes on to find the other paths.
      return '{}\n';
    },
    home: () => home,
    cwd: () => cwd,
  };
}

/** Runs the CLI's parser for one file (or object) against the client's described files. */
export function parseClientFile(r: ParseFileRequest): ParseFileResponse {
  const cwd = r.cwd ?? (r.file ? dirname(r.file) : r.base_dir!);
  const fs = describedFiles(r.files ?? {}, r.home ?? cwd, cwd);
  const sets = r.sets ?? [];
  let out: ParseFileResponse | undefined;
  let failure: unknown;
  try {
    out = parse(r, fs, sets);
  } catch (err) {
    failure = err;
  }
  // An error may come from a guess about an undescribed path: only a parse that needed nothing counts.
  const needs = fs.needs;
  if (needs.length) return { need: needs };
  if (failure !== undefined) throw failure;
  return out!;
}

function parse(r: ParseFileRequest, fs: LocalFiles, sets: string[]): ParseFileResponse {
  const base = r.base_dir ?? dirname(r.file!);
  const spec = r.spec;
  switch (r.kind) {
    case 'job': {
      const j = r.text !== undefined ? parseJobYaml(r.text, r.file!, sets, fs) : parseJobObject(spec!, r.file ?? 'job', base, sets, fs);
      const steps = j.stepCodeDirs || j.stepBuildDirs ? { step_code_dirs: j.stepCodeDirs ?? {}, step_build_dirs: j.stepBuildDirs ?? {} } : {};
      return { kind: 'job', spec: j.spec as Record<string, unknown>, code_dir: j.codeDir, input_paths: j.inputPaths, build_dir: j.environmentBuildDir, ...steps };
    }
    case 'environment': {
      const e = r.text !== undefined ? parseEnvironmentYaml(r.text, r.file!, sets, {}, fs) : environmentFromFields(spec!, sets, base, fs);
      return { kind: 'environment', spec: e.spec as Record<string, unknown>, build_dir: e.buildDir };
    }
    case 'component': {
      const c = r.text !== undefined ? parseComponentYaml(r.text, r.file!, sets, {}, fs) : parseComponentObject(spec!, r.file ?? 'component', base, sets, fs);
      return { kind: 'component', spec: c.spec as Record<string, unknown>, code_dir: c.codeDir, build_dir: c.environmentBuildDir };
    }
    case 'compute': {
      // A spec's key paths are relative to base_dir: the parser takes them from its cwd.
      const c = r.text !== undefined ? parseComputeYaml(r.text, r.file!, sets, { mode: r.mode }, fs) : computeSpecFromFlags(spec!, sets, { mode: r.mode }, { ...fs, cwd: () => base });
      return { kind: 'compute', spec: c as Record<string, unknown> };
    }
    case 'data':
    case 'model': {
      if (sets.length) throw new CairnError('ValidationError', `sets are not taken for ${r.kind} files: change the fields instead`);
      const a = r.text !== undefined ? parseAssetYaml(r.text, r.file!) : assetSpec(spec!, r.file ?? (r.kind === 'data' ? 'data asset' : 'model'), base);
      return { kind: r.kind, spec: a.spec as Record<string, unknown>, local_path: a.localPath };
    }
  }
}
