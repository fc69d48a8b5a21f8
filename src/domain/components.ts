import { CairnError } from '../protocol/errors.ts';
import {
  coerceLiteral,
  commandParts,
  commandRefs,
  componentCommandProblem,
  type ComponentInput,
  type ComponentOutput,
  isLiteralType,
  literalBoundsProblem,
  type LiteralType,
} from '../protocol/component.ts';
import { type AssetType, InputMode, inputModeProblem, JobOutputSpec, parseDataPath } from '../protocol/data.ts';
import type { JobInput } from '../protocol/job-spec.ts';

/**
 * A command component used as a step: the inputs a step binds checked against the component's
 * input types, defaults filled in, and the command written for the step's job. Pipelines call
 * this for each step; the job it makes then fills in `${{inputs.x}}` and `${{outputs.y}}` as any
 * command job does.
 */

/** What bindComponent needs of a component (a registered Component or a ComponentSpec). */
export interface ComponentShape {
  name?: string;
  version?: string;
  command: string;
  inputs?: Record<string, ComponentInput>;
  outputs?: Record<string, ComponentOutput>;
}

/** A step's command job, as far as the component decides it. */
export interface BoundStep {
  /** The command with `$[[ ... ]]` sections kept (without brackets) or dropped; `${{...}}` left for the job. */
  command: string;
  /** Every input that has a value: bound ones, then defaults. Literals as `{type, value}`, data as `{type, path, mode?}`. */
  inputs: Record<string, JobInput>;
  /** Every output of the component, typed, with what the step set on it (path, name, version, mode). */
  outputs: Record<string, JobOutputSpec>;
}

/**
 * A value the pipeline fills in later: `${{parent.inputs.x}}`, `${{parent.jobs.prep.outputs.y}}`.
 * It counts as given; its type is checked where it is resolved.
 */
export const isBindingExpression = (v: unknown): v is string => typeof v === 'string' && /^\s*\$\{\{\s*parent\.[A-Za-z0-9_.]+\s*\}\}\s*$/.test(v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Binds a step's `inputs` (and optional `outputs` settings) to a component. Literal inputs take a
 * scalar or `{type, value}` of the input's type (`"3"` is an integer, `"true"` a boolean); data
 * inputs take a path or `{type, path, mode}` of the same type; a `${{parent...}}` expression is
 * taken as given. Required inputs (not optional, no default) must be bound; unbound ones with a
 * default get it. `$[[ ... ]]` sections are kept, without the brackets, only when every input they
 * name has a value (Azure's rule), else dropped; an input without a value used outside one is an
 * error. Every problem is listed in one message, naming the component and the input.
 */
export function bindComponent(component: ComponentShape, inputs: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}): BoundStep {
  const who = component.name ? `component '${component.name}${component.version ? `:${component.version}` : ''}'` : 'the component';
  const problems: string[] = [];
  const defs = component.inputs ?? {};
  const outDefs = component.outputs ?? {};
  const bound: Record<string, JobInput> = {};
  /** Inputs with a value, or given one that is wrong (already a problem of its own). */
  const given = new Set<string>();

  for (const name of Object.keys(inputs)) {
    if (!Object.hasOwn(defs, name)) problems.push(`it has no input '${name}'${have('inputs', defs)}`);
  }
  for (const [name, def] of Object.entries(defs)) {
    const v = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
    if (v === undefined || v === null) {
      if (def.default !== undefined) bound[name] = isLiteralType(def.type) ? { type: def.type, value: coerced(def.type, def.default) } : { type: def.type as AssetType, path: String(def.default), ...(def.mode ? { mode: def.mode } : {}) };
      else if (!def.optional) problems.push(`input '${name}' (${def.type}) is required: bind it in the step, or make it optional or give it a default in the component`);
      continue;
    }
    given.add(name);
    const r = isBindingExpression(v) ? { value: v.trim() as JobInput } : isLiteralType(def.type) ? bindLiteral(def, def.type, v) : bindData(def, def.type as AssetType, v);
    if ('error' in r) problems.push(`input '${name}' ${r.error}`);
    else bound[name] = r.value;
  }

  const boundOutputs: Record<string, JobOutputSpec> = {};
  for (const name of Object.keys(outputs)) {
    if (!Object.hasOwn(outDefs, name)) problems.push(`it has no output '${name}'${have('outputs', outDefs)}`);
  }
  for (const [name, def] of Object.entries(outDefs)) {
    const v = Object.hasOwn(outputs, name) ? outputs[name] : undefined;
    const r = bindOutput(def, v);
    if ('error' in r) problems.push(`output '${name}' ${r.error}`);
    else boundOutputs[name] = r.value;
  }

  for (const name of Object.keys(bound)) given.add(name);
  const command = renderCommand(component, given, problems);
  if (problems.length) throw new CairnError('ValidationError', `${who}: ${problems.join('; ')}`);
  return { command, inputs: bound, outputs: boundOutputs };
}

/**
 * The command as the step's job runs it: each `$[[ ... ]]` kept (without the brackets) when every
 * input it names is in `given`, else dropped; `${{inputs.x}}` and `${{outputs.y}}` left as they are.
 */
export function renderCommand(component: ComponentShape, given: Set<string>, problems: string[] = []): string {
  const invalid = componentCommandProblem(component.command, component.inputs, component.outputs);
  if (invalid) {
    problems.push(invalid);
    return '';
  }
  const parts = commandParts(component.command) as { optional: boolean; text: string }[];
  let out = '';
  for (const part of parts) {
    const missing = commandRefs(part.text).filter((r) => r.kind === 'inputs' && !given.has(r.name));
    if (part.optional) {
      if (missing.length === 0) out += part.text;
      continue;
    }
    for (const r of new Map(missing.map((m) => [m.name, m])).values()) {
      problems.push(`input '${r.name}' has no value, but the command uses ${r.whole} outside a $[[ ... ]] section: bind it in the step, or put that part of the command in $[[ ... ]] in the component`);
    }
    out += part.text;
  }
  return out;
}

/**
 * What may not work as a component is written, said when it is registered: an optional input
 * without a default used outside `$[[ ... ]]` stops every step that leaves it out.
 */
export function componentWarnings(component: ComponentShape): string[] {
  const parts = commandParts(component.command);
  if ('error' in parts) return [];
  const warned = new Set<string>();
  const out: string[] = [];
  for (const part of parts.filter((p) => !p.optional)) {
    for (const r of commandRefs(part.text)) {
      const def = r.kind === 'inputs' ? component.inputs?.[r.name] : undefined;
      if (!def?.optional || def.default !== undefined || warned.has(r.name)) continue;
      warned.add(r.name);
      out.push(`input '${r.name}' is optional, but the command uses ${r.whole} outside $[[ ... ]]: a step that leaves it out cannot run; put that part of the command in $[[ ... ]]`);
    }
  }
  return out;
}

function coerced(type: LiteralType, v: unknown): string | number | boolean {
  const r = coerceLiteral(type, v);
  return 'error' in r ? String(v) : r.value;
}

function bindLiteral(def: ComponentInput, type: LiteralType, v: unknown): { value: JobInput } | { error: string } {
  let raw = v;
  if (isObject(v)) {
    if (typeof v.path === 'string' || (typeof v.type === 'string' && !isLiteralType(v.type))) return { error: `is ${type}, but the step gives it data${typeof v.type === 'string' ? ` (${v.type})` : ''}: give a value` };
    const extra = Object.keys(v).filter((k) => k !== 'type' && k !== 'value' && k !== 'description');
    if (extra.length) return { error: `has an unknown field '${extra[0]}' (a literal input takes type and value)` };
    if (v.type !== undefined && v.type !== type) return { error: `is ${type}, but the step gives it type ${String(v.type)}` };
    if (v.value === undefined || v.value === null) return { error: 'has no value (write it as the value itself, or {value: ...})' };
    raw = v.value;
    if (isBindingExpression(raw)) return { value: raw.trim() };
  }
  const r = coerceLiteral(type, raw);
  if ('error' in r) return { error: `${r.error} (it is ${type})` };
  const out = literalBoundsProblem(def, r.value);
  if (out) return { error: out };
  return { value: { type, value: r.value } };
}

function bindData(def: ComponentInput, type: AssetType, v: unknown): { value: JobInput } | { error: string } {
  const o: Record<string, unknown> | null = typeof v === 'string' ? { path: v } : isObject(v) ? v : null;
  if (!o) return { error: `is ${type}: give it a path (azureml:NAME:VERSION, a datastore URI, a URL or a local path) or {type, path, mode}, not ${JSON.stringify(v)}` };
  const extra = Object.keys(o).filter((k) => !['type', 'path', 'mode', 'description'].includes(k));
  if (extra.length) return { error: `has an unknown field '${extra[0]}' (a data input takes type, path and mode)` };
  if (o.type !== undefined && o.type !== type) {
    return { error: typeof o.type === 'string' && isLiteralType(o.type) ? `is ${type}, but the step gives it a ${o.type} value: give a path` : `is ${type}, but the step gives it type ${String(o.type)}` };
  }
  if (o.value !== undefined || typeof o.path !== 'string') return { error: `is ${type}: give it a path, not a value` };
  let mode = def.mode;
  if (o.mode !== undefined) {
    const m = InputMode.safeParse(o.mode);
    if (!m.success) return { error: m.error.issues[0]!.message };
    mode = m.data;
  }
  const why = mode && inputModeProblem(type, mode);
  if (why) return { error: why };
  if (isBindingExpression(o.path)) return { value: { type, path: o.path.trim(), ...(mode ? { mode } : {}) } };
  const p = parseDataPath(o.path);
  if ('error' in p) return { error: `path ${p.error}` };
  return { value: { type, path: o.path, ...(mode ? { mode } : {}), ...(typeof o.description === 'string' ? { description: o.description } : {}) } };
}

function bindOutput(def: ComponentOutput, v: unknown): { value: JobOutputSpec } | { error: string } {
  if (v === undefined || v === null) return { value: { type: def.type, ...(def.mode ? { mode: def.mode } : {}) } };
  if (!isObject(v)) return { error: `takes {path, name, version, mode} or nothing, not ${JSON.stringify(v)}` };
  if (v.type !== undefined && v.type !== def.type) return { error: `is ${def.type}, but the step gives it type ${String(v.type)}` };
  const r = JobOutputSpec.safeParse({ type: def.type, ...(def.mode ? { mode: def.mode } : {}), ...v });
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { error: i.code === 'unrecognized_keys' ? `has an unknown field '${i.keys[0]}'` : `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}` };
  }
  return { value: r.data };
}

function have(what: string, defs: Record<string, unknown>): string {
  const names = Object.keys(defs);
  return names.length ? ` (it has: ${names.join(', ')})` : ` (it has no ${what})`;
}
