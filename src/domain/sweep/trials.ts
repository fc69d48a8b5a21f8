import { CairnError } from '../../protocol/errors.ts';
import type { CreateJobRequest, CommandJobSpec } from '../../protocol/job-spec.ts';
import { MAX_SWEEP_TRIALS, type StoredSweep, type SweepJobSpec } from '../../protocol/sweep-spec.ts';
import type { SweepParams } from '../../protocol/sweep-space.ts';

const SEARCH_REF = /\$\{\{\s*search_space\.([A-Za-z0-9_]+)\s*\}\}/g;

/** The search-space keys a command refers to, in order of first use. */
export function searchSpaceRefs(command: string): string[] {
  return [...new Set([...command.matchAll(SEARCH_REF)].map((m) => m[1]!))];
}

/** Trials a sweep makes in all, and at once: Azure's defaults when the limits leave them out. */
export interface SweepBudget {
  total: number;
  concurrent: number;
}

/**
 * The checks a sweep's spec needs beyond its schema: every `${{search_space.x}}` must name a key
 * (an error), a key no command uses is a warning (its values would change nothing), and a sweep
 * that could go on for ever (no max_total_trials and not a grid) is refused.
 */
export function checkSweep(spec: SweepJobSpec, capacity: number): { budget: SweepBudget; warnings: string[] } {
  const keys = Object.keys(spec.search_space);
  const refs = searchSpaceRefs(spec.trial.command);
  const missing = refs.filter((r) => !keys.includes(r));
  if (missing.length) throw new CairnError('ValidationError', `trial.command refers to \${{search_space.${missing[0]}}} but search_space has no '${missing[0]}' (it has: ${keys.join(', ')})`);
  const warnings = keys.filter((k) => !refs.includes(k)).map((k) => `search_space.${k} is not used by trial.command (the trial only sees it as $AZUREML_SWEEP_${k})`);
  const asked = spec.limits?.max_total_trials;
  if (asked === undefined && !Number.isFinite(capacity)) throw new CairnError('ValidationError', 'limits.max_total_trials is required: without it this sweep would never end (only a grid has a size of its own)');
  const total = Math.min(asked ?? capacity, capacity, MAX_SWEEP_TRIALS);
  if (asked !== undefined && asked > capacity) warnings.push(`the grid has ${capacity} points, so the sweep makes ${capacity} trials, not limits.max_total_trials ${asked}`);
  const concurrent = Math.min(spec.limits?.max_concurrent_trials ?? total, total);
  return { budget: { total, concurrent }, warnings };
}

/** A value as the command sees it: numbers in full, booleans and strings as written. */
export const paramText = (v: SweepParams[string]): string => String(v);

/** The trial's command: each `${{search_space.x}}` filled in with its value; `${{inputs.x}}` is left for the job. */
export function trialCommand(command: string, params: SweepParams): string {
  return command.replace(SEARCH_REF, (whole, key: string) => {
    if (!(key in params)) throw new CairnError('ValidationError', `trial.command refers to ${whole} but the search space has no '${key}'`);
    return paramText(params[key]!);
  });
}

export const trialName = (sweep: string, index: number): string => `${sweep}_${index}`;

/**
 * The request that makes trial `index` of a sweep: a command job on the sweep's compute, with the
 * sweep's code snapshot, inputs and environment, its values filled in and in its variables
 * (`AZUREML_SWEEP_<name>` as Azure sets them, `CAIRN_SWEEP_*` for the trial's place).
 */
export function trialRequest(stored: StoredSweep, sweep: { name: string; display_name: string; experiment_name: string; compute: string }, index: number, params: SweepParams): CreateJobRequest {
  const { spec } = stored;
  const vars: Record<string, string> = { ...(spec.trial.environment_variables ?? {}) };
  for (const [k, v] of Object.entries(params)) vars[`AZUREML_SWEEP_${k}`] = paramText(v);
  vars.CAIRN_SWEEP_NAME = sweep.name;
  vars.CAIRN_SWEEP_TRIAL = String(index);
  vars.CAIRN_SWEEP_PARAMS = JSON.stringify(params);
  const trial: CommandJobSpec = {
    type: 'command',
    name: trialName(sweep.name, index),
    display_name: `${sweep.display_name}_${index}`.slice(0, 256),
    experiment_name: sweep.experiment_name,
    command: trialCommand(spec.trial.command, params),
    compute: sweep.compute,
    environment_variables: vars,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    ...(spec.trial.code ? { code: spec.trial.code } : {}),
    ...(spec.trial.environment ? { environment: spec.trial.environment } : {}),
    ...(spec.trial.python_path ? { python_path: spec.trial.python_path } : {}),
    ...(spec.trial.resources ? { resources: spec.trial.resources } : {}),
    ...(spec.trial.distribution ? { distribution: spec.trial.distribution } : {}),
    ...(spec.inputs ? { inputs: spec.inputs } : {}),
    ...(spec.outputs ? { outputs: spec.outputs } : {}),
    ...(spec.limits?.trial_timeout ? { limits: { timeout: spec.limits.trial_timeout } } : {}),
    ...(spec.queue_settings ? { queue_settings: spec.queue_settings } : {}),
  };
  return {
    spec: trial,
    ...(stored.snapshot_id ? { snapshot_id: stored.snapshot_id } : {}),
    ...(stored.code_folder_name ? { code_folder_name: stored.code_folder_name } : {}),
    ...(stored.input_uploads ? { input_uploads: stored.input_uploads } : {}),
    ...(stored.git ? { git: stored.git } : {}),
  };
}
