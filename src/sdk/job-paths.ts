import { resolve } from 'node:path';
import { CairnError } from '../protocol/errors.ts';
import { isDataInput, type CommandJobSpec } from '../protocol/job-spec.ts';
import { parseDataPath } from '../protocol/data.ts';
import type { EnvironmentDraft, Where } from './environment-file.ts';
import type { LocalFiles } from './local-files.ts';
import type { SweepJobSpec, SweepTrial } from '../protocol/sweep-spec.ts';
import type { PipelineJobSpec } from '../protocol/pipeline-spec.ts';

/**
 * A command job as the client holds it before submitting: an inline environment's conda file is
 * inlined already, its build folder not yet uploaded (submitJob does that and sets `build.snapshot_id`).
 */
export type CommandJobDraft = Omit<CommandJobSpec, 'environment'> & { environment?: string | EnvironmentDraft };

/** A sweep as the client holds it before submitting: the trial's inline environment read, its build folder not yet uploaded. */
export type SweepJobDraft = Omit<SweepJobSpec, 'trial'> & { trial: Omit<SweepTrial, 'environment'> & { environment?: string | EnvironmentDraft } };

/** A pipeline as the client holds it: local component files read and put inline, inline environments read. */
export type PipelineJobDraft = PipelineJobSpec;

export interface LoadedJob {
  /** A command job, a sweep (whose trial holds the code and environment) or a pipeline (whose steps do). */
  spec: CommandJobDraft | SweepJobDraft | PipelineJobDraft;
  /** A pipeline's steps: each one's absolute code folder (a component file's too), to upload. */
  stepCodeDirs?: Record<string, string>;
  /** A pipeline's steps: each inline environment's build folder, to upload. */
  stepBuildDirs?: Record<string, string>;
  /** Absolute code folder, or null when the job has no `code`. */
  codeDir: string | null;
  /** Absolute build context of an inline environment's `build.path`, or null. */
  environmentBuildDir: string | null;
  /** Data inputs with a local path: the absolute file or folder each one uploads. */
  inputPaths: Record<string, string>;
}

/**
 * `azureml:name:version` -> `name:version`, as the server reads references; an
 * `azureml://registries/...` URI is a reference of its own and stays whole.
 */
export const stripAzureml = (ref: string): string => ref.replace(/^azureml:(?!\/\/)/, '');

/** The absolute code folder a job's `code` names, which must be a folder. */
export function codeFolder(code: string, baseDir: string, where: Where, at: string[], fs: LocalFiles): string {
  const codeDir = resolve(baseDir, code);
  const kind = fs.kind(codeDir, 'dir');
  if (kind === null) throw new CairnError('ValidationError', `${where(at)}: code folder '${code}' does not exist (looked in ${codeDir})`);
  if (kind !== 'dir') throw new CairnError('ValidationError', `${where(at)}: code '${code}' is not a folder`);
  return codeDir;
}

/** Data inputs with a local path: the absolute file or folder each uploads, checked to be what its type says. */
export function localInputPaths(inputs: CommandJobSpec['inputs'], baseDir: string, where: Where, fs: LocalFiles): Record<string, string> {
  const inputPaths: Record<string, string> = {};
  for (const [name, input] of Object.entries(inputs ?? {})) {
    if (!isDataInput(input)) continue;
    const p = parseDataPath(input.path);
    if ('error' in p) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: inputs.${name}.path: ${p.error}`);
    if (p.kind !== 'local') continue;
    const abs = resolve(baseDir, p.path);
    const kind = fs.kind(abs, input.type === 'uri_file' ? 'file' : 'dir');
    if (kind === null) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}': path '${p.path}' does not exist (looked in ${abs})`);
    const isDir = kind === 'dir';
    if (input.type === 'uri_file' && isDir) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}' is uri_file, but '${p.path}' is a folder (use uri_folder)`);
    if (input.type !== 'uri_file' && !isDir) throw new CairnError('ValidationError', `${where(['inputs', name, 'path'])}: input '${name}' is ${input.type}, but '${p.path}' is a file (use uri_file)`);
    inputPaths[name] = abs;
  }
  return inputPaths;
}

