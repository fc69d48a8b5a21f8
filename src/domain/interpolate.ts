import { CairnError } from '../protocol/errors.ts';
import type { ResolvedInput } from '../protocol/data.ts';
import { isDataInput, type CommandJobSpec } from '../protocol/job-spec.ts';
import { shellQuote } from '../protocol/shell.ts';

const REF = /\$\{\{\s*([A-Za-z_]+)\.([A-Za-z0-9_]+)\s*\}\}/g;

/** The literal value of an input, whether written `lr: 0.1` or `lr: {type: number, value: 0.1}`. */
export function inputValue(v: NonNullable<CommandJobSpec['inputs']>[string]): string | undefined {
  if (typeof v !== 'object' || v === null) return String(v);
  if (isDataInput(v)) return undefined;
  const x = v.value ?? v.default;
  return x === undefined ? undefined : String(x);
}

/** Where a resolved data input is on the node, as the shell sees it: its folder, the file in it, or the URI (direct). */
export function inputPath(i: ResolvedInput): string {
  if (i.mode === 'direct') return shellQuote(i.uri);
  return i.file ? `"\${CAIRN_INPUTS_DIR}/${i.name}/"${shellQuote(i.file)}` : `"\${CAIRN_INPUTS_DIR}/${i.name}"`;
}

/**
 * Resolves `${{inputs.x}}` to literal values or to where a data input lies on the node, and
 * `${{outputs.y}}` to a folder under the job's outputs/ (so whatever the job writes there is
 * collected). Anything else is an error naming it. Data inputs must have been resolved (`data`).
 */
export function interpolateCommand(spec: CommandJobSpec, data: ResolvedInput[] = []): string {
  const resolved = new Map(data.map((i) => [i.name, i]));
  return spec.command.replace(REF, (whole, kind: string, key: string) => {
    if (kind === 'inputs') {
      const v = spec.inputs?.[key];
      if (v === undefined) throw new CairnError('ValidationError', `command refers to ${whole} but the job has no input '${key}'${known(spec.inputs)}`);
      if (isDataInput(v)) {
        const r = resolved.get(key);
        if (!r) throw new CairnError('Internal', `input '${key}' was not resolved before its command was written`);
        return inputPath(r);
      }
      const val = inputValue(v);
      if (val === undefined) throw new CairnError('ValidationError', `input '${key}' has no value (give it a value or a default)`);
      return val;
    }
    if (kind === 'outputs') {
      if (!spec.outputs || !(key in spec.outputs)) throw new CairnError('ValidationError', `command refers to ${whole} but the job has no output '${key}'${known(spec.outputs)}`);
      return `"\${CAIRN_OUTPUTS_DIR}/${key}"`;
    }
    if (kind === 'search_space') throw new CairnError('ValidationError', `${whole}: search spaces belong to sweep jobs (type: sweep, with the command under trial)`);
    throw new CairnError('ValidationError', `command refers to ${whole}: only \${{inputs.NAME}} and \${{outputs.NAME}} can be used in a command job`);
  });
}

function known(map?: Record<string, unknown>): string {
  const keys = Object.keys(map ?? {});
  return keys.length ? ` (it has: ${keys.join(', ')})` : '';
}
