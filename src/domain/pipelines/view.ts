import { isTerminal } from '../../protocol/job.ts';
import { StepFacts, StoredPipeline, type PipelineView } from '../../protocol/pipeline-spec.ts';
import type { Store } from '../../store/index.ts';
import type { JobRow } from '../../store/jobs.ts';
import { sweepView } from '../sweep/view.ts';

export const storedPipeline = (row: Pick<JobRow, 'spec'>): StoredPipeline => StoredPipeline.parse(JSON.parse(row.spec));
/** A step's facts, or null for a job that is not a pipeline's step (a sweep's trial has other facts). */
export const stepFacts = (row: Pick<JobRow, 'trial'>): StepFacts | null => {
  if (!row.trial) return null;
  const r = StepFacts.safeParse(JSON.parse(row.trial));
  return r.success ? r.data : null;
};

/**
 * Whose files a step's outputs are: the job it was reused from, its own job's, or for a sweep step
 * its best trial's (as Azure's sweep step outputs are). A sweep not completed, or with no best
 * trial, has none: ''.
 */
export async function stepProducer(store: Store, c: JobRow): Promise<string> {
  const from = stepFacts(c)?.reused_from;
  if (from) return from;
  if (c.kind !== 'sweep') return c.name;
  if (c.status !== 'Completed') return '';
  return (await sweepView(store, c)).best?.name ?? '';
}

type StepJob = { status: string; status_reason?: string | null };

/**
 * Each planned step's state: its job's status once made; before that `not started` while it can
 * still run, or `skipped` when a step it needs (or one those need) failed or was canceled.
 * `settled`: nothing more will happen to it.
 */
export function stepStates(stored: StoredPipeline, jobs: Map<string, StepJob>): { name: string; status: string; label: string; settled: boolean }[] {
  const skipped = new Set<string>();
  for (const s of stored.steps) {
    const blocked = s.depends_on.some((d) => skipped.has(d) || ['Failed', 'Canceled'].includes(jobs.get(d)?.status ?? ''));
    if (blocked && !jobs.has(s.name)) skipped.add(s.name);
  }
  return stored.steps.map((s) => {
    const j = jobs.get(s.name);
    if (!j) return skipped.has(s.name) ? { name: s.name, status: 'Skipped', label: 'skipped', settled: true } : { name: s.name, status: 'NotStarted', label: 'not started', settled: false };
    const label = j.status === 'Queued' || j.status === 'Provisioning' ? 'queued' : isTerminal(j.status) ? j.status.toLowerCase() : 'running';
    return { name: s.name, status: j.status, label, settled: isTerminal(j.status) };
  });
}

/** A pipeline's steps as its page shows them: the graph (depends_on), each step's job, status, reuse and time. */
export async function pipelineView(store: Store, row: JobRow): Promise<PipelineView> {
  const stored = storedPipeline(row);
  const children = await store.jobs.trialsOf(row.id);
  const byStep = new Map<string, JobRow>();
  for (const c of children) {
    const f = stepFacts(c);
    if (f) byStep.set(f.step, c);
  }
  const states = stepStates(stored, byStep);
  const now = Date.now();
  const outputs = [];
  for (const [name, [step, output]] of Object.entries(stored.outputs_from)) {
    const j = byStep.get(step);
    outputs.push({ name, step, output, job_name: j?.status === 'Completed' ? (await stepProducer(store, j)) || null : null });
  }
  return {
    settings: stored.spec.settings ?? {},
    outputs,
    steps: stored.steps.map((s, i) => {
      const j = byStep.get(s.name);
      const start = j?.start_time ? Date.parse(j.start_time) : null;
      const end = j?.end_time ? Date.parse(j.end_time) : null;
      return {
        name: s.name,
        job_name: j?.name ?? null,
        status: states[i]!.status,
        status_reason: j?.status_reason ?? (states[i]!.status === 'Skipped' ? `a step it needs did not complete (${s.depends_on.join(', ')})` : null),
        compute: s.request.spec.compute ?? 'local',
        component: s.component,
        depends_on: s.depends_on,
        reused_from: (j && stepFacts(j)?.reused_from) ?? null,
        duration_seconds: start !== null ? Math.round(((end ?? now) - start) / 10) / 100 : null,
      };
    }),
  };
}
