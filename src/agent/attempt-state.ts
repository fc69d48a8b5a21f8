import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptAssignment, AttemptReport } from '../protocol/agent.ts';

export type EndedReport = Extract<AttemptReport, { phase: 'ended' }>;

/** What an agent must know to carry on with an attempt after it (or the server) restarted. */
export interface AttemptState {
  assignment: AttemptAssignment;
  phase: 'preparing' | 'running' | 'finalizing' | 'ending' | 'done';
  started_at_ms?: number;
  shim_pid?: number;
  /** Log bytes the server has acknowledged, per stream (system: the environment's preparation). */
  acked: { stdout: number; stderr: number; system?: number };
  /** The environment cache key the job runs in: held in use (not evicted) until the attempt ends. */
  env_key?: string | null;
  /** The container a job runs in, so cancel and cleanup reach it. */
  container?: { engine: 'podman' | 'docker'; name: string };
  /** `preempted`: the node is being taken back; the attempt ends as preempted (its job is requeued). */
  cancel?: { reason: string; at_ms: number; preempted?: boolean };
  timed_out?: boolean;
  ended?: EndedReport;
}

export const stateFile = (dir: string) => join(dir, 'state.json');

export function loadState(dir: string): AttemptState | null {
  const f = stateFile(dir);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as AttemptState;
  } catch {
    return null;
  }
}

/** Atomic: a crash leaves the old state or the new one, never half of one. */
export function saveState(dir: string, state: AttemptState): void {
  const tmp = join(dir, `state.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, stateFile(dir));
}
