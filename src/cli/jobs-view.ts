import type { Job } from '../protocol/job.ts';
import type { Column } from './output.ts';
import { table } from './output.ts';

export const JOB_COLUMNS: Column<Job>[] = [
  { header: 'Name', get: (j) => j.name },
  { header: 'Display name', get: (j) => j.display_name },
  { header: 'Status', get: (j) => j.status },
  { header: 'Compute', get: (j) => j.compute },
  { header: 'Experiment', get: (j) => j.experiment_name },
  { header: 'Created', get: (j) => j.creation_context.created_at.replace('T', ' ').slice(0, 19) },
  { header: 'Duration', get: (j) => (j.duration_seconds === null ? '' : `${j.duration_seconds}s`) },
];

/** `cairn job show -o table`: the facts first, then every status change with its reason. */
export function jobDetail(j: Job): string {
  const facts: [string, unknown][] = [
    ['name', j.name],
    ['display_name', j.display_name],
    ['status', j.status + (j.status_reason ? ` (${j.status_reason})` : '')],
    ['experiment_name', j.experiment_name],
    ['compute', j.compute],
    ['node', j.node],
    ['command', j.command],
    ['environment', typeof j.environment === 'string' ? j.environment : j.environment ? JSON.stringify(j.environment) : ''],
    ['created', j.creation_context.created_at],
    ['start_time', j.start_time],
    ['end_time', j.end_time],
    ['duration', j.duration_seconds === null ? '' : `${j.duration_seconds}s`],
    ['exit_code', j.exit_code],
    ['attempt', j.attempt],
    ['snapshot_id', j.snapshot_id],
    ['git', j.git ? [j.git.repository_url, j.git.branch, j.git.commit?.slice(0, 12), j.git.dirty ? 'dirty' : 'clean'].filter(Boolean).join(' ') : ''],
  ];
  const w = Math.max(...facts.map(([k]) => k.length));
  let out = facts.map(([k, v]) => `${k.padEnd(w)}  ${v ?? ''}`).join('\n');
  if (j.history?.length) {
    out += `\n\nhistory:\n${table(j.history, [
      { header: 'Time', get: (h) => h.at },
      { header: 'Status', get: (h) => h.status },
      { header: 'Attempt', get: (h) => h.attempt ?? '' },
      { header: 'Reason', get: (h) => h.reason ?? '' },
    ])}`;
  }
  if (j.outputs_collected?.length) out += `\n\noutputs:\n${j.outputs_collected.map((o) => `  ${o.path} (${o.size} B)`).join('\n')}`;
  return out;
}
