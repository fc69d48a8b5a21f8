import type { Job } from '../protocol/job.ts';
import type { PipelineView } from '../protocol/pipeline-spec.ts';
import { table } from './output.ts';

/** `job show` of a pipeline: its steps in the order they can run, what each waits for, its status, time and reuse. */
export function pipelineDetail(j: Job): string {
  const p = j.pipeline as PipelineView;
  const settings = Object.entries(p.settings).map(([k, v]) => `${k}=${v}`).join(' ');
  let out = `steps, in the order they can run${settings ? ` (settings: ${settings})` : ''}:\n`;
  out += table(p.steps, [
    { header: 'Step', get: (s) => s.name },
    { header: 'After', get: (s) => s.depends_on.join(', ') || '-' },
    { header: 'Status', get: (s) => (s.reused_from ? `Completed (reused from ${s.reused_from})` : s.status) },
    { header: 'Duration', get: (s) => (s.duration_seconds === null ? '' : `${s.duration_seconds}s`) },
    { header: 'Compute', get: (s) => s.compute },
    { header: 'Component', get: (s) => s.component ?? '' },
    { header: 'Job', get: (s) => s.job_name ?? '' },
  ]);
  const why = p.steps.filter((s) => !s.reused_from && s.status_reason && ['Failed', 'Canceled', 'Skipped'].includes(s.status));
  if (why.length) out += `\n\n${why.map((s) => `  ${s.name}: ${s.status_reason}`).join('\n')}`;
  if (p.outputs.length) {
    out += `\n\noutputs (cairn job download -n ${j.name} --output-name NAME; azureml://jobs/${j.name}/outputs/NAME):\n`;
    out += table(p.outputs, [
      { header: 'Output', get: (o) => o.name },
      { header: 'From', get: (o) => `${o.step}.outputs.${o.output}` },
      { header: 'Job', get: (o) => o.job_name ?? '(not made yet)' },
    ]);
  }
  return out;
}
