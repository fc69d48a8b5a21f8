import { z } from 'zod';
import { ASSET_TYPES, type AssetType, InputMode, inputModeProblem, OutputMode, parseDataPath } from './data.ts';
import { EnvironmentFileSpec, EnvironmentSpec } from './environment.ts';
import { Distribution, MAX_COMMAND_BYTES, Resources, SafeString } from './job-spec.ts';
import { Sha256 } from './snapshot.ts';

/**
 * Registered components in Azure ML v2 YAML (`type: command` only): a command with typed inputs
 * and outputs, its code and its environment, versioned like environments. Pipelines bind a
 * component's inputs in their steps (domain/components.ts checks and renders a step).
 */

export const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'] as const;
export type LiteralType = (typeof LITERAL_TYPES)[number];
export const COMPONENT_INPUT_TYPES = [...LITERAL_TYPES, ...ASSET_TYPES] as const;
export type ComponentInputType = (typeof COMPONENT_INPUT_TYPES)[number];
export const isLiteralType = (t: string): t is LiteralType => (LITERAL_TYPES as readonly string[]).includes(t);
export const isDataType = (t: string): t is AssetType => (ASSET_TYPES as readonly string[]).includes(t);

/** Azure's rule for component names: a lowercase letter, then lowercase letters, digits and _. */
export const COMPONENT_NAME = /^[a-z][a-z0-9_]{0,254}$/;
const ComponentName = z.string().regex(COMPONENT_NAME, { error: 'must start with a lowercase letter and hold only lowercase letters, digits and _ (at most 255), as Azure ML requires' });
const ComponentVersion = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be letters, digits, -, _ and . (at most 64), like 1 or 2.0' }));
const PortName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, { error: 'must be letters, digits and _, not starting with a digit' });
const Scalar = z.union([SafeString, z.number(), z.boolean()]);
const Tags = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

/**
 * A literal value read as the input type says: `3` or `"3"` for an integer, `true` or `"false"`
 * for a boolean, anything scalar for a string. `{ value }` on success, else what is wrong, as the
 * end of a sentence ("must be an integer, not 2.5").
 */
export function coerceLiteral(type: LiteralType, v: unknown): { value: string | number | boolean } | { error: string } {
  const shown = typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 37)}...` : v}'` : JSON.stringify(v);
  switch (type) {
    case 'string':
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { value: String(v) };
      return { error: `must be a string, not ${shown}` };
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (Number.isSafeInteger(n)) return { value: n };
      return { error: `must be an integer, not ${shown}` };
    }
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isFinite(n)) return { value: n };
      return { error: `must be a number, not ${shown}` };
    }
    case 'boolean':
      if (typeof v === 'boolean') return { value: v };
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return { value: v.trim().toLowerCase() === 'true' };
      return { error: `must be true or false, not ${shown}` };
  }
}

/** A literal within its input's bounds (min, max, enum): null, or what is wrong. */
export function literalBoundsProblem(def: Pick<ComponentInput, 'min' | 'max' | 'enum'>, value: string | number | boolean): string | null {
  if (typeof value === 'number') {
    if (def.min !== undefined && value < Number(def.min)) return `must be at least ${def.min}, not ${value}`;
    if (def.max !== undefined && value > Number(def.max)) return `must be at most ${def.max}, not ${value}`;
  }
  if (def.enum && !def.enum.includes(String(value))) return `must be one of ${def.enum.join(', ')}, not '${value}'`;
  return null;
}

/** One input of a component: a literal (string, integer, number, boolean) or data (uri_file ... mlflow_model). */
export const ComponentInput = z
  .strictObject({
    type: z.enum(COMPONENT_INPUT_TYPES, { error: `type must be one of ${COMPONENT_INPUT_TYPES.join(', ')}` }),
    description: SafeString.max(4096).optional(),
    optional: z.boolean({ error: 'optional must be true or false' }).optional(),
    default: Scalar.optional(),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
    enum: z.array(Scalar.transform(String)).min(1).max(1000).optional(),
    mode: InputMode.optional(),
  })
  .superRefine((i, ctx) => {
    const bad = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const literal = isLiteralType(i.type);
    if (!literal && i.mode) {
      const why = inputModeProblem(i.type as AssetType, i.mode);
      if (why) bad('mode', why);
    }
    if (literal && i.mode !== undefined) bad('mode', `a mode is for data inputs; this input is ${i.type}`);
    for (const k of ['min', 'max'] as const) {
      if (i[k] === undefined) continue;
      if (i.type !== 'integer' && i.type !== 'number') bad(k, `${k} is for integer and number inputs; this input is ${i.type}`);
      else if ('error' in coerceLiteral(i.type, i[k])) bad(k, `${k} ${(coerceLiteral(i.type, i[k]) as { error: string }).error}`);
    }
    if (i.min !== undefined && i.max !== undefined && Number(i.min) > Number(i.max)) bad('max', `max (${i.max}) is below min (${i.min})`);
    if (i.enum && i.type !== 'string') bad('enum', `enum is for string inputs; this input is ${i.type}`);
    if (i.default === undefined) return;
    if (literal) {
      const r = coerceLiteral(i.type as LiteralType, i.default);
      if ('error' in r) return bad('default', `the default ${r.error}`);
      const out = literalBoundsProblem(i, r.value);
      if (out) bad('default', `the default ${out}`);
      return;
    }
    if (typeof i.default !== 'string') return bad('default', `the default of a ${i.type} input is a path, like azureml:NAME:VERSION`);
    const p = parseDataPath(i.default);
    if ('error' in p) bad('default', p.error);
    else if (p.kind === 'local') bad('default', `the default '${i.default}' is a local path, which means nothing once the component is registered: use a data asset (azureml:NAME:VERSION), a datastore URI or an http(s) URL`);
  });
export type ComponentInput = z.infer<typeof ComponentInput>;

/** One output: a folder or file the command writes (`${{outputs.name}}`), of a data or model type. */
export const ComponentOutput = z.strictObject({
  type: z
    .enum(ASSET_TYPES, { error: `an output's type must be one of ${ASSET_TYPES.join(', ')} (primitive outputs are not supported)` })
    .default('uri_folder'),
  description: SafeString.max(4096).optional(),
  mode: OutputMode.optional(),
});
export type ComponentOutput = z.infer<typeof ComponentOutput>;

// ---- the command: ${{inputs.x}}, ${{outputs.y}} and $[[ optional sections ]] -----------------

/** A piece of a component's command: plain text, or a `$[[ ... ]]` section (its text without the brackets). */
export type CommandPart = { optional: boolean; text: string };
/** Where `${{...}}` is in a command: `inputs.x`, `outputs.y`, or something else (an error in a component). */
export interface CommandRef {
  whole: string;
  kind: string;
  name: string;
}

const BINDING = /\$\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Splits a command into plain text and `$[[ ... ]]` sections, as Azure ML does: a section ends at
 * the first `]]` after it opens (so a bash `[[ ... ]]` test cannot be inside one), and sections do
 * not nest. `{ error }` for an unclosed or nested section.
 */
export function commandParts(command: string): CommandPart[] | { error: string } {
  const parts: CommandPart[] = [];
  let at = 0;
  for (;;) {
    const open = command.indexOf('$[[', at);
    if (open < 0) break;
    const close = command.indexOf(']]', open + 3);
    if (close < 0) return { error: `the optional section at character ${open + 1} ($[[...) has no closing ]]` };
    const inner = command.slice(open + 3, close);
    if (inner.includes('$[[')) return { error: `optional sections do not nest: a $[[ at character ${open + 1} holds another before its ]]` };
    if (open > at) parts.push({ optional: false, text: command.slice(at, open) });
    parts.push({ optional: true, text: inner });
    at = close + 2;
  }
  if (at < command.length) parts.push({ optional: false, text: command.slice(at) });
  return parts;
}

/** Every `${{...}}` in a piece of command text. */
export function commandRefs(text: string): CommandRef[] {
  const refs: CommandRef[] = [];
  for (const m of text.matchAll(BINDING)) {
    const dot = /^([A-Za-z_]+)\.([A-Za-z0-9_]+)$/.exec(m[1]!);
    refs.push({ whole: m[0], kind: dot ? dot[1]! : m[1]!, name: dot ? dot[2]! : '' });
  }
  return refs;
}

const known = (what: string, names: string[]) => (names.length ? ` (it has: ${names.join(', ')})` : ` (it has no ${what})`);

/** What is wrong with a component's command given its inputs and outputs: null when nothing is. */
export function componentCommandProblem(command: string, inputs: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}): string | null {
  const parts = commandParts(command);
  if ('error' in parts) return parts.error;
  for (const ref of commandRefs(command)) {
    if (ref.kind === 'inputs' && ref.name) {
      if (!Object.hasOwn(inputs, ref.name)) return `the command refers to ${ref.whole} but the component has no input '${ref.name}'${known('inputs', Object.keys(inputs))}`;
    } else if (ref.kind === 'outputs' && ref.name) {
      if (!Object.hasOwn(outputs, ref.name)) return `the command refers to ${ref.whole} but the component has no output '${ref.name}'${known('outputs', Object.keys(outputs))}`;
    } else return `the command refers to ${ref.whole}: a component's command can use only \${{inputs.NAME}} and \${{outputs.NAME}}`;
  }
  return null;
}

// ---- the component -----------------------------------------------------------------------------

const Command = SafeString.min(1, 'must not be empty').refine((v) => new TextEncoder().encode(v).length <= MAX_COMMAND_BYTES, {
  error: `is over the limit of ${MAX_COMMAND_BYTES} bytes: put a long script in a file of the code folder and run that`,
});

const fields = {
  $schema: z.string().optional(),
  type: z.literal('command', { error: 'only command components (type: command) are supported' }).default('command'),
  version: ComponentVersion.optional(),
  display_name: SafeString.max(256).optional(),
  description: SafeString.max(4096).optional(),
  tags: Tags.optional(),
  is_deterministic: z.boolean({ error: 'is_deterministic must be true or false' }).default(true),
  inputs: z.record(PortName, ComponentInput).refine((i) => Object.keys(i).length <= 500, 'at most 500 inputs').optional(),
  outputs: z.record(PortName, ComponentOutput).refine((o) => Object.keys(o).length <= 100, 'at most 100 outputs').optional(),
  command: Command,
  /** The code folder as the file wrote it (shown back); its content travels as a snapshot. */
  code: SafeString.min(1).max(4096).optional(),
  resources: Resources.optional(),
  distribution: Distribution.optional(),
};

function checkCommand(s: { command: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  const problem = componentCommandProblem(s.command, s.inputs, s.outputs);
  if (problem) ctx.addIssue({ code: 'custom', path: ['command'], message: problem });
}

/** A component as its YAML file says it (an inline environment's files named by path). */
export const ComponentFileShape = z.strictObject({
  ...fields,
  name: ComponentName.optional(),
  environment: z.union([z.string().min(1), EnvironmentFileSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' }).optional(),
});
export const ComponentFileSpec = ComponentFileShape.superRefine(checkCommand);
export type ComponentFileSpec = z.infer<typeof ComponentFileSpec>;

/** The component on the wire: an inline environment's conda file inlined and build folder uploaded. */
export const ComponentSpec = z
  .strictObject({
    ...fields,
    name: ComponentName,
    environment: z.union([z.string().min(1), EnvironmentSpec], { error: 'expected an environment reference like azureml:my-env:1 or an inline environment (image, conda_file, build)' }).optional(),
  })
  .superRefine(checkCommand);
export type ComponentSpec = z.infer<typeof ComponentSpec>;

/** What a client sends to register a component version: the spec and its uploaded code folder. */
export const CreateComponentRequest = z.strictObject({
  spec: ComponentSpec,
  snapshot_id: Sha256.optional(),
});
export type CreateComponentRequest = z.infer<typeof CreateComponentRequest>;

/** A registered component version as the API shows it. */
export type Component = ComponentSpec & {
  name: string;
  version: string;
  /** The uploaded code folder, when the component has `code`. */
  snapshot_id?: string;
  spec_hash: string;
  archived: boolean;
  creation_context: { created_at: string; created_by: string };
  /** Said on create only: what may not work as written (e.g. an optional input used outside $[[ ]]). */
  warnings?: string[];
};

export const ListComponentsQuery = z.object({
  name: z.string().optional(),
  include_archived: z.stringbool().optional(),
});

/** `azureml:name:version`, `name:version`, `azureml:name@latest`, `name@latest` or `name`, taken apart. */
export function parseComponentRef(raw: string): { name: string; version?: string; label?: string } | null {
  const s = raw.trim().replace(/^azureml:(?!\/\/)/, '');
  const at = /^([^:@/\s]+)@([A-Za-z0-9_.-]+)$/.exec(s);
  if (at) return { name: at[1]!, label: at[2]! };
  const colon = /^([^:@/\s]+):([A-Za-z0-9_.-]+)$/.exec(s);
  if (colon) return { name: colon[1]!, version: colon[2]! };
  if (/^[^:@/\s]+$/.test(s)) return { name: s };
  return null;
}
