import { CairnError } from '../../protocol/errors.ts';
import type { ComponentSpec } from '../../protocol/component.ts';
import { isDataInput, type CommandJobSpec, type CreateJobRequest, type JobInput } from '../../protocol/job-spec.ts';
import type { JobOutputSpec } from '../../protocol/data.ts';
import { isComponentStep, isSweepStep, type CreatePipelineRequest, type PipelineStep, type PlannedStep } from '../../protocol/pipeline-spec.ts';
import type { CreateSweepRequest } from '../../protocol/sweep-spec.ts';
import { sweepStepJob } from './sweep-step.ts';
import { bindComponent } from '../components.ts';
import { parseDataPath } from '../../protocol/data.ts';

/** A component a step runs, found at submit: its spec, its code's snapshot, and how to name it. */
export interface ResolvedComponent {
  spec: ComponentSpec;
  snapshot_id?: string;
  /** `name:version` of a registered one, `inline` for a file the client read. */
  ref: string;
}

const BINDING = /^\s*\$\{\{\s*parent\.([A-Za-z0-9_.]+)\s*\}\}\s*$/;

export const stepJobName = (pipeline: string, step: string): string => `${pipeline}_${step}`;

const fail = (msg: string): never => {
  throw new CairnError('ValidationError', msg);
};

/** The type of data an output holds (uri_folder unless it says), or null for a binding to the pipeline's output. */
function outputType(o: unknown): string {
  return typeof o === 'object' && o !== null && typeof (o as { type?: unknown }).type === 'string' ? (o as { type: string }).type : 'uri_folder';
}

/**
 * Plans a pipeline at submit: each step's command job (a component bound to the step's inputs,
 * or the step written inline), the steps it waits for (its inputs bound to their outputs), in an
 * order where every step comes after those it needs. Every problem is one error naming the step
 * and the field: a binding to a step, output or input that does not exist, a type that does not
 * match the component's, a cycle, a step with no compute.
 */
export function planPipeline(
  req: CreatePipelineRequest,
  components: Map<string, ResolvedComponent>,
  o: { pipelineName: string; experimentName: string },
): PlannedStep[] {
  const { spec } = req;
  const steps = spec.jobs;
  const names = Object.keys(steps);
  const pipelineInputs = spec.inputs ?? {};
  const pipelineOutputs = spec.outputs ?? {};
  const reuseOff = !!(spec.settings?.force_rerun || req.force_rerun);
  pipelineOutputsFrom(spec);
  const drafts = new Map<string, { request: CreateJobRequest | CreateSweepRequest; from_steps: Record<string, [string, string]>; from_parent: Record<string, string>; component: string | null; reusable: boolean; inputTypes: Record<string, string | undefined> }>();
  const outputsOf = new Map<string, Record<string, string>>();

  // First each step's own job, so bindings can be checked against every step's outputs.
  for (const name of names) {
    const step = steps[name]!;
    const at = `jobs.${name}`;
    const compute = (step.compute ?? spec.settings?.default_compute ?? spec.compute)?.replace(/^azureml:/, '');
    if (!compute) fail(`${at}: step '${name}' has no compute and the pipeline has no settings.default_compute`);
    const parentOutputs = boundOutputs(step);
    const ownOutputs = Object.fromEntries(Object.entries(step.outputs ?? {}).filter(([, v]) => typeof v !== 'string'));
    const job = stepJob(step, name, at, components.get(name), ownOutputs, req, { compute: compute!, ...o });
    settleOutputs(job.request, parentOutputs, pipelineOutputs, spec.settings?.default_datastore, at, isSweepStep(step));
    outputsOf.set(name, Object.fromEntries(Object.entries(job.request.spec.outputs ?? {}).map(([k, v]) => [k, outputType(v)])));
    // An output bound only to the pipeline's output is still an output of the step (a folder).
    for (const [out] of parentOutputs) if (!outputsOf.get(name)![out]) outputsOf.get(name)![out] = 'uri_folder';
    drafts.set(name, { ...job, from_steps: {}, from_parent: {}, reusable: !reuseOff && job.deterministic });
  }

  const deps = new Map<string, Set<string>>();
  for (const name of names) {
    const d = drafts.get(name)!;
    const need = new Set<string>();
    for (const [input, v] of Object.entries(d.request.spec.inputs ?? {})) {
      if (typeof v !== 'string') continue;
      const m = BINDING.exec(v);
      if (!m) continue;
      const at = `jobs.${name}.inputs.${input}`;
      const parts = m[1]!.split('.');
      if (parts[0] === 'inputs' && parts.length === 2) {
        const pi = pipelineInputs[parts[1]!];
        if (pi === undefined) fail(`${at}: ${v.trim()} names no input of the pipeline${known(pipelineInputs)}`);
        const want = d.inputTypes[input];
        if (want) {
          const data = isDataInput(pi as JobInput);
          const have = data ? (pi as { type: string }).type : 'a literal';
          const wantsData = !['string', 'integer', 'number', 'boolean'].includes(want);
          if (data !== wantsData || (data && have !== want)) fail(`${at}: input '${input}' is ${want}, but the pipeline's input '${parts[1]}' is ${have}`);
        }
        d.from_parent[input] = parts[1]!;
      } else if (parts[0] === 'jobs' && parts.length === 4 && parts[2] === 'outputs') {
        const [, other, , out] = parts as [string, string, string, string];
        if (other === name) fail(`${at}: a step cannot take its own output (${v.trim()})`);
        if (!drafts.has(other)) fail(`${at}: ${v.trim()} names no step of the pipeline (its steps: ${names.join(', ')})`);
        const type = outputsOf.get(other)![out];
        if (!type) fail(`${at}: step '${other}' has no output '${out}'${known(outputsOf.get(other)!)}`);
        const want = d.inputTypes[input];
        if (want && want !== type) fail(`${at}: input '${input}' is ${want}, but ${v.trim()} is ${type}`);
        d.from_steps[input] = [other, out];
        need.add(other);
      } else {
        fail(`${at}: ${v.trim()} is not a binding Cairn knows: use \${{parent.inputs.NAME}} or \${{parent.jobs.STEP.outputs.NAME}}`);
      }
    }
    deps.set(name, need);
  }

  const order = topologicalOrder(names, deps);
  return order.map((name, index) => {
    const d = drafts.get(name)!;
    return { name, index, depends_on: [...deps.get(name)!].sort(), request: d.request, from_steps: d.from_steps, from_parent: d.from_parent, component: d.component, reusable: d.reusable };
  });
}

/** A step's outputs bound to the pipeline's: [step output, pipeline output]. */
function boundOutputs(step: PipelineStep): [string, string][] {
  return Object.entries(step.outputs ?? {}).flatMap(([out, v]) => (typeof v === 'string' ? [[out, /parent\.outputs\.([A-Za-z0-9_]+)/.exec(v)![1]!] as [string, string]] : []));
}

/**
 * Which step output each of the pipeline's outputs is (`outputs: {model: ${{parent.outputs.model}}}`
 * in a step): output -> [step, step output]. Each must be bound by exactly one step.
 */
export function pipelineOutputsFrom(spec: CreatePipelineRequest['spec']): Record<string, [string, string]> {
  const declared = spec.outputs ?? {};
  const from: Record<string, [string, string]> = {};
  for (const [name, step] of Object.entries(spec.jobs)) {
    for (const [out, po] of boundOutputs(step)) {
      const at = `jobs.${name}.outputs.${out}`;
      if (!Object.hasOwn(declared, po)) fail(`${at}: \${{parent.outputs.${po}}} names no output of the pipeline${known(declared)}`);
      const other = from[po];
      if (other) fail(`${at}: the pipeline's output '${po}' is already bound to jobs.${other[0]}.outputs.${other[1]}; one step output makes each pipeline output`);
      from[po] = [name, out];
    }
  }
  for (const po of Object.keys(declared)) if (!from[po]) fail(`outputs.${po}: no step's output is bound to it (write \${{parent.outputs.${po}}} as a step's output)`);
  return from;
}

/**
 * A step's outputs as they will be written: one bound to the pipeline's output takes that output's
 * type, mode, path and asset name (what the pipeline's YAML says of it); with
 * settings.default_datastore, every output with no path of its own goes to that datastore, under
 * `azureml/${{name}}/${{output_name}}/` as Azure's default path.
 */
function settleOutputs(request: CreateJobRequest | CreateSweepRequest, bound: [string, string][], pipelineOutputs: NonNullable<CreatePipelineRequest['spec']['outputs']>, defaultDatastore: string | undefined, at: string, sweep: boolean): void {
  const outs: Record<string, JobOutputSpec | null> = { ...(request.spec.outputs ?? {}) };
  for (const [out, po] of bound) {
    const p = pipelineOutputs[po] ?? null;
    const own = outs[out] ?? null;
    if (p?.type && own?.type && p.type !== own.type) fail(`${at}.outputs.${out}: the step's output is ${own.type}, but the pipeline's output '${po}' is ${p.type}`);
    if (sweep && (p?.path || p?.name)) fail(`${at}.outputs.${out}: a sweep step's output is its best trial's and is not written to a path or registered for the pipeline's output '${po}'; leave out path and name (cairn job download -n SWEEP --best gets it)`);
    if (p) outs[out] = { ...(own ?? {}), ...p };
  }
  const datastore = defaultDatastore?.replace(/^azureml:/, '');
  if (datastore) for (const [k, v] of Object.entries(outs)) if (!v?.path) outs[k] = { ...(v ?? {}), path: `azureml://datastores/${datastore}/paths/azureml/\${{name}}/\${{output_name}}/` };
  if (Object.keys(outs).length) request.spec.outputs = outs as typeof request.spec.outputs;
}

/** Dependencies first (Kahn's algorithm, ties in the file's order); a cycle is an error that names it. */
export function topologicalOrder(names: string[], deps: Map<string, Set<string>>): string[] {
  const left = new Map(names.map((n) => [n, new Set(deps.get(n) ?? [])]));
  const order: string[] = [];
  while (left.size) {
    const ready = [...left.keys()].filter((n) => left.get(n)!.size === 0);
    if (ready.length === 0) fail(`the steps form a cycle: ${cycleIn(left).join(' -> ')}`);
    for (const n of ready) {
      order.push(n);
      left.delete(n);
      for (const d of left.values()) d.delete(n);
    }
  }
  return order;
}

function cycleIn(left: Map<string, Set<string>>): string[] {
  let at = [...left.keys()][0]!;
  const seen: string[] = [];
  while (!seen.includes(at)) {
    seen.push(at);
    at = [...left.get(at)!][0]!;
  }
  return [...seen.slice(seen.indexOf(at)), at];
}

const known = (m: Record<string, unknown>) => (Object.keys(m).length ? ` (it has: ${Object.keys(m).join(', ')})` : ' (it has none)');

/** A step's command job as planned: its inputs still hold their bindings. */
function stepJob(
  step: PipelineStep,
  name: string,
  at: string,
  component: ResolvedComponent | undefined,
  ownOutputs: Record<string, unknown>,
  req: CreatePipelineRequest,
  o: { compute: string; pipelineName: string; experimentName: string },
): { request: CreateJobRequest | CreateSweepRequest; component: string | null; deterministic: boolean; inputTypes: Record<string, string | undefined> } {
  if (isSweepStep(step)) {
    const tags = req.spec.tags;
    const sweep = sweepStepJob(step, name, at, component, ownOutputs, req, { name: stepJobName(o.pipelineName, name), display_name: step.display_name ?? name, experiment_name: o.experimentName, compute: o.compute, ...(tags ? { tags } : {}) });
    return { ...sweep, deterministic: false };
  }
  const base = {
    type: 'command' as const,
    name: stepJobName(o.pipelineName, name),
    display_name: step.display_name ?? name,
    experiment_name: o.experimentName,
    compute: o.compute,
    ...(step.environment_variables ? { environment_variables: step.environment_variables } : {}),
    ...(step.limits ? { limits: step.limits } : {}),
    ...(req.spec.tags ? { tags: req.spec.tags } : {}),
  };
  const upload = req.step_code?.[name];
  if (isComponentStep(step)) {
    if (!component) fail(`${at}.component: the component was not resolved`);
    const c = component!;
    let bound;
    try {
      bound = bindComponent({ ...c.spec, version: c.spec.version }, step.inputs ?? {}, ownOutputs);
    } catch (err) {
      fail(`${at}: ${(err as Error).message}`);
    }
    const snapshot = c.snapshot_id ?? upload?.snapshot_id;
    if (c.spec.code && !snapshot) fail(`${at}.component: its code folder was not uploaded with the request`);
    const spec: CommandJobSpec = {
      ...base,
      command: bound!.command,
      inputs: bound!.inputs,
      outputs: bound!.outputs as CommandJobSpec['outputs'],
      ...(c.spec.environment ? { environment: c.spec.environment } : {}),
      ...(c.spec.code ? { code: c.spec.code } : {}),
      ...((step.resources ?? c.spec.resources) ? { resources: step.resources ?? c.spec.resources } : {}),
      ...((step.distribution ?? c.spec.distribution) ? { distribution: step.distribution ?? c.spec.distribution } : {}),
    };
    const inputTypes = Object.fromEntries(Object.entries(c.spec.inputs ?? {}).map(([k, v]) => [k, v.type]));
    return { request: { spec, ...(snapshot ? { snapshot_id: snapshot, code_folder_name: upload?.code_folder_name } : {}) }, component: c.ref, deterministic: c.spec.is_deterministic !== false, inputTypes };
  }
  if (step.code && !upload) fail(`${at}.code: the step's code folder '${step.code}' was not uploaded with the request`);
  for (const [input, v] of Object.entries(step.inputs ?? {})) {
    if (typeof v === 'string' || !isDataInput(v as JobInput)) continue;
    const where = parseDataPath((v as { path: string }).path);
    if (!('error' in where) && where.kind === 'local') fail(`${at}.inputs.${input}: a step's local path is not uploaded; make it an input of the pipeline and bind it with \${{parent.inputs.NAME}}`);
  }
  const spec: CommandJobSpec = {
    ...base,
    command: step.command,
    ...(step.inputs ? { inputs: step.inputs as CommandJobSpec['inputs'] } : {}),
    ...(Object.keys(ownOutputs).length || step.outputs ? { outputs: { ...Object.fromEntries(Object.keys(step.outputs ?? {}).map((k) => [k, null])), ...ownOutputs } as CommandJobSpec['outputs'] } : {}),
    ...(step.code ? { code: step.code } : {}),
    ...(step.environment ? { environment: step.environment } : {}),
    ...(step.python_path ? { python_path: step.python_path } : {}),
    ...(step.resources ? { resources: step.resources } : {}),
    ...(step.distribution ? { distribution: step.distribution } : {}),
  };
  return { request: { spec, ...(upload ? { snapshot_id: upload.snapshot_id, ...(upload.code_folder_name ? { code_folder_name: upload.code_folder_name } : {}) } : {}) }, component: null, deterministic: step.is_deterministic !== false, inputTypes: {} };
}
