import type { EnvironmentSpec } from '../protocol/environment.ts';
import type { CommandJobSpec } from '../protocol/job-spec.ts';
import type { Job } from '../protocol/job.ts';
import { readGitFacts, type SnapshotOptions } from '../snapshot/index.ts';
import type { CairnClient } from './client.ts';
import type { EnvironmentDraft } from './environment-file.ts';
import { codeFolderName, type CommandJobDraft } from './job-file.ts';
import { CairnError } from './errors.ts';
import type { SweepJobSpec } from '../protocol/sweep-spec.ts';
import type { SweepJobDraft } from './sweep-file.ts';
import type { PipelineJobSpec } from '../protocol/pipeline-spec.ts';
import { uploadCode, uploadInputs, type UploadProgress } from './upload.ts';

export { uploadCode, type UploadProgress };

export interface SubmitOptions {
  /** The job; an inline environment with a `build` is completed by uploading `environmentBuildDir`. */
  spec: CommandJobSpec | CommandJobDraft | SweepJobSpec | SweepJobDraft | PipelineJobSpec;
  /** A pipeline's steps' code folders and inline environments' build folders (from loadJobFile). */
  stepCodeDirs?: Record<string, string>;
  stepBuildDirs?: Record<string, string>;
  /** A pipeline: run every step, reusing none (`cairn job create --force-rerun`). */
  forceRerun?: boolean;
  codeDir?: string | null;
  /**
   * The build context (`build.path`) of an inline environment: uploaded as a snapshot, like code,
   * and its id put in `environment.build.snapshot_id`. The code folder's ignore rules apply to it too
   * (`.amlignore`/`.cairnignore`, else `.gitignore`).
   */
  environmentBuildDir?: string | null;
  /** Data inputs with a local path (name -> absolute file or folder): uploaded like code, only what the server lacks. */
  inputPaths?: Record<string, string>;
  snapshot?: SnapshotOptions;
  onWarning?: (msg: string) => void;
  onProgress?: (p: UploadProgress) => void;
}

/**
 * An environment ready to send: the build folder, when it has one, uploaded as a snapshot (the
 * same content-addressed upload as code, so an unchanged folder sends nothing) and its id set.
 */
export async function completeEnvironment(client: CairnClient, env: EnvironmentDraft, buildDir: string | null | undefined, o: Omit<SubmitOptions, 'spec' | 'codeDir'> = {}): Promise<EnvironmentSpec> {
  if (!env.build) return env as EnvironmentSpec;
  if (env.build.snapshot_id && !buildDir) return env as EnvironmentSpec;
  if (!buildDir) throw new CairnError('ValidationError', `the environment's build folder${env.build.path ? ` '${env.build.path}'` : ''} was not uploaded: load the file with loadEnvironmentFile or loadJobFile and pass its build folder`);
  const snapshotId = await uploadCode(client, buildDir, o);
  return { ...env, build: { ...env.build, snapshot_id: snapshotId } } as EnvironmentSpec;
}

/**
 * Snapshot the code (and an inline environment's build folder), record git facts, create the job:
 * what `cairn job create` does. The server's warnings about the job (a curated environment that runs
 * as something else, say) go to `onWarning`.
 */
export async function submitJob(client: CairnClient, o: SubmitOptions): Promise<Job> {
  if (o.spec.type === 'pipeline') return submitPipeline(client, o);
  // git runs in its own processes: start it first so it works on the other core while the walk runs here.
  const git = o.codeDir ? readGitFacts(o.codeDir) : null;
  const snapshotId = o.codeDir ? await uploadCode(client, o.codeDir, o) : undefined;
  let spec: CommandJobSpec | SweepJobSpec;
  if (o.spec.type === 'sweep') {
    // A sweep's code and environment are its trial's.
    const s = o.spec as SweepJobDraft;
    const env = s.trial.environment;
    spec = (typeof env === 'object' ? { ...s, trial: { ...s.trial, environment: await completeEnvironment(client, env, o.environmentBuildDir, o) } } : s) as SweepJobSpec;
  } else {
    const env = o.spec.environment;
    spec = (typeof env === 'object' ? { ...o.spec, environment: await completeEnvironment(client, env, o.environmentBuildDir, o) } : o.spec) as CommandJobSpec;
  }
  const inputUploads = o.inputPaths && Object.keys(o.inputPaths).length ? await uploadInputs(client, o.inputPaths, o) : undefined;
  const job = o.codeDir
    ? await client.createJob(spec, { snapshotId, codeFolderName: codeFolderName(o.codeDir), git: await git, inputUploads })
    : await client.createJob(spec, { inputUploads });
  for (const w of [...(job.environment_details?.warnings ?? []), ...(job.sweep?.warnings ?? [])]) o.onWarning?.(w);
  return job;
}

/**
 * A pipeline: each step's code folder uploaded (a component file's too; an unchanged folder sends
 * nothing), each inline environment's build folder, the pipeline's local inputs; then one request.
 */
async function submitPipeline(client: CairnClient, o: SubmitOptions): Promise<Job> {
  const spec = structuredClone(o.spec as PipelineJobSpec);
  const firstCode = Object.values(o.stepCodeDirs ?? {})[0];
  const git = firstCode ? readGitFacts(firstCode) : null;
  const stepCode: Record<string, { snapshot_id: string; code_folder_name: string }> = {};
  for (const [step, dir] of Object.entries(o.stepCodeDirs ?? {})) stepCode[step] = { snapshot_id: await uploadCode(client, dir, o), code_folder_name: codeFolderName(dir) };
  for (const [step, dir] of Object.entries(o.stepBuildDirs ?? {})) {
    const s = spec.jobs[step]! as { environment?: unknown; component?: { environment?: unknown }; trial?: { environment?: unknown } };
    const holder = typeof s.component === 'object' ? s.component : typeof s.trial === 'object' ? s.trial : s;
    holder.environment = await completeEnvironment(client, holder.environment as EnvironmentDraft, dir, o);
  }
  const inputUploads = o.inputPaths && Object.keys(o.inputPaths).length ? await uploadInputs(client, o.inputPaths, o) : undefined;
  const job = await client.createPipeline({ spec, step_code: stepCode, ...(inputUploads ? { input_uploads: inputUploads } : {}), ...((await git) ? { git: (await git)! } : {}), ...(o.forceRerun ? { force_rerun: true } : {}) });
  return job;
}
