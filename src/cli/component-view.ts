import type { Component, ComponentInput } from '../protocol/component.ts';
import { environmentSource } from './environment-view.ts';
import type { Column } from './output.ts';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** `lr: number = 0.01`, `data: uri_folder`, `seed: integer (optional)`: one input on one line. */
export function inputSummary(name: string, i: ComponentInput): string {
  const facts = [i.default !== undefined ? ` = ${i.default}` : '', i.optional ? ' (optional)' : ''].join('');
  const range = i.min !== undefined || i.max !== undefined ? ` [${i.min ?? ''}..${i.max ?? ''}]` : '';
  const choices = i.enum ? ` {${i.enum.join(', ')}}` : '';
  return `${name}: ${i.type}${range}${choices}${facts}${i.mode ? `, ${i.mode}` : ''}`;
}

/** Where the component's environment comes from: its reference, or what an inline one is made from. */
export function componentEnvironment(c: Pick<Component, 'environment'>, width = 40): string {
  if (c.environment === undefined) return "the node's own Python";
  return typeof c.environment === 'string' ? c.environment : `inline: ${environmentSource(c.environment, width)}`;
}

export const COMPONENT_COLUMNS: Column<Component>[] = [
  { header: 'Name', get: (c) => c.name },
  { header: 'Version', get: (c) => c.version },
  { header: 'Display name', get: (c) => clip(c.display_name ?? '', 30) },
  { header: 'Inputs', get: (c) => clip(Object.keys(c.inputs ?? {}).join(', '), 40) },
  { header: 'Outputs', get: (c) => clip(Object.keys(c.outputs ?? {}).join(', '), 30) },
  { header: 'Environment', get: (c) => componentEnvironment(c) },
  { header: 'Archived', get: (c) => (c.archived ? 'yes' : '') },
  { header: 'Created', get: (c) => c.creation_context.created_at.replace('T', ' ').slice(0, 19) },
];

/** `cairn component show -o table`: the facts, then the inputs, the outputs and the command. */
export function componentDetail(c: Component): string {
  const facts: [string, unknown][] = [
    ['name', c.name],
    ['version', c.version],
    ['type', c.type],
    ['display_name', c.display_name],
    ['description', c.description],
    ['tags', c.tags && Object.keys(c.tags).length ? Object.entries(c.tags).map(([k, v]) => `${k}=${v}`).join(', ') : ''],
    ['is_deterministic', c.is_deterministic ? 'yes' : 'no'],
    ['code', c.code ? `${c.code}${c.snapshot_id ? ` (snapshot ${c.snapshot_id.slice(0, 12)})` : ''}` : ''],
    ['environment', componentEnvironment(c, 60)],
    ['resources', c.resources ? `instance_count ${c.resources.instance_count}${c.resources.instance_type ? `, ${c.resources.instance_type}` : ''}` : ''],
    ['distribution', c.distribution?.type],
    ['spec_hash', c.spec_hash],
    ['archived', c.archived ? 'yes (still usable by exact version)' : 'no'],
    ['created', `${c.creation_context.created_at} by ${c.creation_context.created_by}`],
  ];
  const shown = facts.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  let out = shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
  const inputs = Object.entries(c.inputs ?? {});
  if (inputs.length) out += `\n\ninputs:\n${inputs.map(([n, i]) => `  ${inputSummary(n, i)}${i.description ? `  # ${i.description}` : ''}`).join('\n')}`;
  const outputs = Object.entries(c.outputs ?? {});
  if (outputs.length) out += `\n\noutputs:\n${outputs.map(([n, o]) => `  ${n}: ${o.type}${o.mode ? `, ${o.mode}` : ''}${o.description ? `  # ${o.description}` : ''}`).join('\n')}`;
  out += `\n\ncommand:\n${c.command.trimEnd().replace(/^/gm, '  ')}`;
  return out;
}
