import { CairnError } from '../../protocol/errors.ts';
import type { ComponentSpec } from '../../protocol/component.ts';
import type { CreatePipelineRequest, SweepStep } from '../../protocol/pipeline-spec.ts';
import type { CreateSweepRequest, SweepJobSpec } from '../../protocol/sweep-spec.ts';
import { bindComponent } from '../components.ts';
import type { ResolvedComponent } from './plan.ts';

const fail = (msg: string): never => {
  throw new CairnError('ValidationError', msg);
};

/**
 * A sweep step's sweep, as Azure runs one: with a component as its trial, the component's inputs
 * named in the search space take the sampled values (`${{inputs.lr}}` becomes
 * `${{search_space.lr}}`) and its other inputs are bound as in any component step; with a command
 * written inline, that command is the trial's. Never reused: each run samples again.
 */
export function sweepStepJob(
  step: SweepStep,
  name: string,
  at: string,
  component: ResolvedComponent | undefined,
  ownOutputs: Record<string, unknown>,
  req: CreatePipelineRequest,
  base: { name: string; display_name: string; experiment_name: string; compute: string; tags?: Record<string, string> },
): { request: CreateSweepRequest; component: string | null; inputTypes: Record<string, string | undefined> } {
  const keys = Object.keys(step.search_space);
  const upload = req.step_code?.[name];
  let trial: SweepJobSpec['trial'];
  let inputs: SweepJobSpec['inputs'] = step.inputs as SweepJobSpec['inputs'];
  let outputs: SweepJobSpec['outputs'] = ownOutputs as SweepJobSpec['outputs'];
  let snapshot = upload?.snapshot_id;
  let inputTypes: Record<string, string | undefined> = {};
  if (typeof step.trial === 'string' || 'name' in step.trial) {
    const c = component ?? fail(`${at}.trial: the component was not resolved`);
    const spec = c.spec as ComponentSpec;
    for (const k of keys) if (!Object.hasOwn(spec.inputs ?? {}, k)) fail(`${at}.search_space.${k}: the trial's component '${c.ref}' has no input '${k}'${Object.keys(spec.inputs ?? {}).length ? ` (it has: ${Object.keys(spec.inputs ?? {}).join(', ')})` : ''}`);
    for (const k of keys) if (Object.hasOwn(step.inputs ?? {}, k)) fail(`${at}.inputs.${k}: '${k}' is in the search space: the sweep gives its value`);
    let bound;
    try {
      bound = bindComponent(spec, { ...(step.inputs ?? {}), ...Object.fromEntries(keys.map((k) => [k, `\${{parent.inputs.${k}}}`])) }, ownOutputs);
    } catch (err) {
      return fail(`${at}: ${(err as Error).message}`);
    }
    const command = bound.command.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_]+)\s*\}\}/g, (whole, k: string) => (keys.includes(k) ? `\${{search_space.${k}}}` : whole));
    inputs = Object.fromEntries(Object.entries(bound.inputs).filter(([k]) => !keys.includes(k))) as SweepJobSpec['inputs'];
    outputs = bound.outputs as SweepJobSpec['outputs'];
    snapshot = c.snapshot_id ?? upload?.snapshot_id;
    if (spec.code && !snapshot) fail(`${at}.trial: its code folder was not uploaded with the request`);
    trial = { command, ...(spec.code ? { code: spec.code } : {}), ...(spec.environment ? { environment: spec.environment } : {}), ...(spec.resources ? { resources: spec.resources } : {}), ...(spec.distribution ? { distribution: spec.distribution } : {}) };
    inputTypes = Object.fromEntries(Object.entries(spec.inputs ?? {}).map(([k, v]) => [k, v.type]));
  } else {
    trial = step.trial;
    if (step.trial.code && !upload) fail(`${at}.trial.code: the trial's code folder '${step.trial.code}' was not uploaded with the request`);
  }
  const spec: SweepJobSpec = {
    type: 'sweep',
    ...base,
    trial,
    ...(inputs && Object.keys(inputs).length ? { inputs } : {}),
    ...(outputs && Object.keys(outputs).length ? { outputs } : {}),
    search_space: step.search_space,
    sampling_algorithm: step.sampling_algorithm,
    objective: step.objective,
    ...(step.early_termination ? { early_termination: step.early_termination } : {}),
    ...(step.limits ? { limits: step.limits } : {}),
  };
  return { request: { spec, ...(snapshot ? { snapshot_id: snapshot, ...(upload?.code_folder_name ? { code_folder_name: upload.code_folder_name } : {}) } : {}) } as CreateSweepRequest, component: component?.ref ?? null, inputTypes };
}
