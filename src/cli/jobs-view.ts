import type { Job } from '../protocol/job.ts';
import type { Column } from './output.ts';
import { table } from './output.ts';
import { sweepDetail } from './sweep-view.ts';
import { pipelineDetail } from './pipeline-view.ts';

/**
 * The status as a person wants it: `Preparing: building environment 3f2a9c1d0e4b (42 s)` while a
 * node builds the job's environment (the time since that step began, when the history is at hand).
 */
export function statusText(j: Job, now = Date.now()): string {
  const reason = j.status_reason ?? '';
  if (j.status !== 'Preparing' || !reason.startsWith('building environment')) return j.status;
  const since = [...(j.history ?? [])].reverse().find((h) => h.status === 'Preparing' && h.reason === reason);
  const ms = since ? now - Date.parse(since.at) : NaN;
  return `Preparing: ${reason}${Number.isFinite(ms) ? ` (${Math.max(0, Math.round(ms / 1000))} s)` : ''}`;
}

/** `my-env:2 (conda, spec 3f2a9c1d0e4b)`, `inline image python:3.11-slim (...)`, `node's own Python`. */
export function environmentText(j: Job): string {
  const d = j.environment_details;
  if (!d) return typeof j.environment === 'string' ? j.environment : j.environment ? JSON.stringify(j.environment) : '';
  const what = d.kind === 'user_managed' ? `node's own Python${d.python_path ? ` (${d.python_path})` : ''}` : [d.kind, d.image, d.spec_hash ? `spec ${d.spec_hash.slice(0, 12)}` : ''].filter(Boolean).join(', ');
  if (d.ref) return `${d.ref} (${what})`;
  return d.kind === 'user_managed' ? what : `inline ${what}`;
}

/** `3f2a9c1d0e4b built with micromamba in 42 s` or `3f2a9c1d0e4b reused (micromamba)`: what the node made of it. */
export function environmentRecordText(j: Job): [string, string][] {
  const r = j.environment_details?.record;
  if (!r) return [];
  const how = r.builder === 'none' ? 'nothing to build' : r.built ? `built with ${r.builder}${r.build_seconds !== undefined ? ` in ${Math.round(r.build_seconds)} s` : ''}` : `reused (${r.builder})`;
  const python = [r.python, r.interpreter ? `(${r.interpreter})` : ''].filter(Boolean).join(' ');
  return [
    ['environment_build', `${r.hash.slice(0, 12)} ${how}${r.ready_ms !== undefined ? `, ready in ${r.ready_ms} ms` : ''}`],
    ...(python ? [['python', python] as [string, string]] : []),
    ['packages', `${r.packages.length}${r.image ? `, image ${r.image}${r.image_id ? ` (${r.image_id.replace(/^sha256:/, '').slice(0, 12)})` : ''}` : ''}`],
  ];
}

/** A waiting job says why in the list too (short: the whole reason is in `job show`). */
const listStatus = (j: Job) => ((j.status === 'Queued' || j.status === 'Provisioning') && j.status_reason ? `${j.status}: ${j.status_reason.length > 70 ? `${j.status_reason.slice(0, 67)}...` : j.status_reason}` : statusText(j));

export const JOB_COLUMNS: Column<Job>[] = [
  { header: 'Name', get: (j) => j.name },
  { header: 'Display name', get: (j) => j.display_name },
  { header: 'Status', get: (j) => listStatus(j) },
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
    ['status', statusText(j) === j.status ? j.status + (j.status_reason ? ` (${j.status_reason})` : '') : statusText(j)],
    ['experiment_name', j.experiment_name],
    ['compute', j.compute],
    ['node', j.node],
    ...(j.slurm_job_id ? [['slurm_job_id', j.slurm_job_id] as [string, unknown]] : []),
    ...(j.type !== 'command' ? [['type', j.type] as [string, unknown]] : []),
    ...(j.child && 'sweep' in j.child ? [['trial', `${j.child.index} of sweep ${j.child.sweep}: ${Object.entries(j.child.params).map(([k, v]) => `${k}=${v}`).join(' ')}`] as [string, unknown]] : []),
    ...(j.child && 'pipeline' in j.child ? [['step', `${j.child.step} of pipeline ${j.child.pipeline}${j.child.reused_from ? ` (reused from ${j.child.reused_from})` : ''}`] as [string, unknown]] : []),
    ['command', j.command],
    ['environment', environmentText(j)],
    ...environmentRecordText(j),
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
  if (j.sweep) out += `\n\n${sweepDetail(j)}`;
  if (j.pipeline) out += `\n\n${pipelineDetail(j)}`;
  if (j.history?.length) {
    out += `\n\nhistory:\n${table(j.history, [
      { header: 'Time', get: (h) => h.at },
      { header: 'Status', get: (h) => h.status },
      { header: 'Attempt', get: (h) => h.attempt ?? '' },
      { header: 'Reason', get: (h) => h.reason ?? '' },
    ])}`;
  }
  if (j.data_inputs?.length) {
    out += `\n\ndata inputs:\n${table(j.data_inputs, [
      { header: 'Input', get: (i) => i.name },
      { header: 'Type', get: (i) => i.type },
      { header: 'Mode', get: (i) => i.mode },
      { header: 'Source', get: (i) => i.uri },
      { header: 'Version read', get: (i) => i.asset ?? '' },
      { header: 'Files', get: (i) => i.files ?? '' },
    ])}`;
  }
  if (j.named_outputs?.length) {
    out += `\n\nnamed outputs:\n${table(j.named_outputs, [
      { header: 'Output', get: (o) => o.name },
      { header: 'Type', get: (o) => o.type },
      { header: 'Files', get: (o) => o.files },
      { header: 'Registered as', get: (o) => o.asset ?? '' },
      { header: 'Written to', get: (o) => o.path ?? '' },
    ])}`;
  }
  if (j.attempts && (j.attempts.length > 1 || (j.attempts[0] && j.attempts[0].rank !== 0))) {
    out += `\n\nattempts:\n${table(j.attempts, [
      { header: 'Attempt', get: (a) => a.number },
      { header: 'Rank', get: (a) => a.rank },
      { header: 'Node', get: (a) => a.node },
      { header: 'State', get: (a) => (a.outcome ? `${a.state} (${a.outcome})` : a.state) },
      { header: 'Exit', get: (a) => a.exit_code ?? '' },
      { header: 'Reason', get: (a) => a.reason ?? '' },
    ])}`;
  }
  const warnings = j.environment_details?.warnings ?? [];
  if (warnings.length) out += `\n\nwarnings:\n${warnings.map((w) => `  ${w}`).join('\n')}`;
  if (j.outputs_collected?.length) out += `\n\noutputs:\n${j.outputs_collected.map((o) => `  ${o.path} (${o.size} B)`).join('\n')}`;
  return out;
}
