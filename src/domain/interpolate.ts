import { CairnError } from '../protocol/errors.ts';
import type { CommandJobSpec } from '../protocol/job-spec.ts';

const REF = /\$\{\{\s*([A-Za-z_]+)\.([A-Za-z0-9_]+)\s*\}\}/g;

/** The literal value of an input, whether written `lr: 0.1` or `lr: {type: number, value: 0.1}`. */
export function inputValue(v: NonNullable<CommandJobSpec['inputs']>[string]): string | undefined {
  if (typeof v !== 'object' || v === null) return String(v);
  const x = v.value ?? v.default;
  return x === undefined ? undefined : String(x);
}

/**
 * Resolves `${{inputs.x}}` to literal values and `${{outputs.y}}` to a folder under the job's
 * outputs/ (so whatever the job writes there is collected). Anything else is an error naming it.
 */
export function interpolateCommand(spec: CommandJobSpec): string {
  return spec.command.replace(REF, (whole, kind: string, key: string) => {
    if (kind === 'inputs') {
      const v = spec.inputs?.[key];
      if (v === undefined) throw new CairnError('ValidationError', `command refers to ${whole} but the job has no input '${key}'${known(spec.inputs)}`);
      const val = inputValue(v);
      if (val === undefined) throw new CairnError('ValidationError', `input '${key}' has no value (give it a value or a default)`);
      return val;
    }
    if (kind === 'outputs') {
      if (!spec.outputs || !(key in spec.outputs)) throw new CairnError('ValidationError', `command refers to ${whole} but the job has no output '${key}'${known(spec.outputs)}`);
      return `"\${CAIRN_OUTPUTS_DIR}/${key}"`;
    }
    if (kind === 'search_space') throw new CairnError('ValidationError', `${whole}: search spaces belong to sweep jobs, which are not supported yet`);
    throw new CairnError('ValidationError', `command refers to ${whole}: only \${{inputs.NAME}} and \${{outputs.NAME}} can be used in a command job`);
  });
}

function known(map?: Record<string, unknown>): string {
  const keys = Object.keys(map ?? {});
  return keys.length ? ` (it has: ${keys.join(', ')})` : '';
}
