import { CairnError } from '../../protocol/errors.ts';
import { mapSlurmState } from './states.ts';
import type { SlurmJobState } from './commands.ts';
import type { SbatchRequest } from './sbatch-options.ts';

/**
 * The OpenAPI versions of slurmrestd this client speaks: their job shapes are the same (Slurm
 * 21.08 and 22.05). Newer plugins (v0.0.39 on, Slurm 23.02+) changed them; a server that offers
 * only those is refused at attach with the versions it has, and SSH stays the way to it.
 */
const SPOKEN = ['v0.0.38', 'v0.0.37'] as const;

export interface RestAuth {
  user: string;
  token: string;
}

interface RestJob {
  job_id: number;
  name: string;
  job_state: string;
  state_reason?: string;
  nodes?: string;
  exit_code?: number;
  end_time?: number;
  partition?: string;
  priority?: number;
  restart_cnt?: number;
}

/**
 * slurmrestd, where a site runs it, instead of sbatch/squeue/scancel over SSH: JWT auth (a token
 * the login user gets from `scontrol token`), the API version detected from its OpenAPI document.
 * Only job submission, state and cancel go through it; files still travel over the shell.
 */
export class SlurmRest {
  private readonly url: string;
  private readonly auth: () => Promise<RestAuth>;
  private version: string | null = null;

  constructor(url: string, auth: () => Promise<RestAuth>) {
    this.url = url.replace(/\/+$/, '');
    this.auth = auth;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const a = await this.auth();
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { 'X-SLURM-USER-NAME': a.user, 'X-SLURM-USER-TOKEN': a.token, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url} did not answer: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url} refused user '${a.user}' (HTTP ${res.status}): is AuthAltTypes=auth/jwt set and the token valid?`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url} answered ${method} ${path} with HTTP ${res.status} and no JSON`);
    }
    return { status: res.status, body: parsed as T };
  }

  /** The newest API version both sides speak, from slurmrestd's OpenAPI document. */
  async detect(): Promise<string> {
    if (this.version) return this.version;
    const { body } = await this.call<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3');
    const offered = [...new Set(Object.keys(body.paths ?? {}).map((p) => /^\/slurm\/(v\d+\.\d+\.\d+)\//.exec(p)?.[1]).filter((v): v is string => !!v))].sort();
    const chosen = SPOKEN.find((v) => offered.includes(v));
    if (!chosen) throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url} offers ${offered.join(', ') || 'no Slurm API'}; Cairn speaks ${SPOKEN.join(' and ')} (Slurm 21.08-22.05): remove slurmrestd_url to use the Slurm commands over SSH`);
    // The OpenAPI document is served to any token; ping checks this one with slurmctld.
    const ping = await this.call<{ errors?: { error?: string }[] }>('GET', `/slurm/${chosen}/ping`);
    if (ping.status !== 200) throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url} could not ping slurmctld for user '${(await this.auth()).user}' (a bad or expired token?): ${this.errors(ping.body) || `HTTP ${ping.status}`}`);
    this.version = chosen;
    return chosen;
  }

  private errors(body: { errors?: { error?: string; description?: string }[] }): string {
    return (body.errors ?? []).map((e) => e.error ?? e.description ?? '').filter(Boolean).join('; ');
  }

  /** One job: its properties from the same request sbatch would get; Slurm's refusal in its words. */
  async submit(r: SbatchRequest, script: string, environment: Record<string, string>): Promise<{ id: string } | { refused: string }> {
    const v = await this.detect();
    const job = {
      name: r.jobName,
      ...(r.partition ? { partition: r.partition } : {}),
      ...(r.account ? { account: r.account } : {}),
      ...(r.qos ? { qos: r.qos } : {}),
      ...(r.nice !== undefined ? { nice: r.nice } : {}),
      nodes: r.nodes,
      tasks_per_node: 1,
      ...(r.timeLimitSeconds ? { time_limit: Math.max(1, Math.ceil(r.timeLimitSeconds / 60)) } : {}),
      ...(r.gpusPerNode ? { gres: `gpu:${r.gpusPerNode}` } : {}),
      standard_output: r.output,
      current_working_directory: r.chdir,
      environment,
      requeue: false,
    };
    const { status, body } = await this.call<{ job_id?: number; errors?: { error?: string }[] }>('POST', `/slurm/${v}/job/submit`, { job, script });
    if (status === 200 && body.job_id !== undefined && !this.errors(body)) return { id: String(body.job_id) };
    return { refused: this.errors(body) || `slurmrestd answered HTTP ${status}` };
  }

  async jobs(): Promise<RestJob[]> {
    const v = await this.detect();
    const { status, body } = await this.call<{ jobs?: RestJob[]; errors?: { error?: string }[] }>('GET', `/slurm/${v}/jobs`);
    if (status !== 200) throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url}: listing jobs failed: ${this.errors(body) || `HTTP ${status}`}`);
    return body.jobs ?? [];
  }

  /** States of the ids slurmrestd still lists (pending ones with the jobs ahead of them in their partition). */
  async states(ids: string[]): Promise<Map<string, SlurmJobState>> {
    const all = await this.jobs();
    const want = new Set(ids);
    const out = new Map<string, SlurmJobState>();
    for (const j of all) {
      const id = String(j.job_id);
      if (!want.has(id)) continue;
      const pending = j.job_state === 'PENDING';
      const ahead = pending ? all.filter((o) => o.job_state === 'PENDING' && o.partition === j.partition && o.job_id !== j.job_id && ((o.priority ?? 0) > (j.priority ?? 0) || ((o.priority ?? 0) === (j.priority ?? 0) && o.job_id < j.job_id))).length : null;
      // The REST API gives the wait status: the exit code is its high byte, the signal its low one.
      const status = j.exit_code ?? null;
      const exitCode = status === null ? null : status >> 8;
      const signal = status === null ? null : status & 0x7f;
      const m = mapSlurmState({ state: j.job_state, reason: j.state_reason, exitCode, signal, nodes: j.nodes, jobId: id, ahead });
      const ended = j.end_time && m.phase === 'ended' ? new Date(j.end_time * 1000).toISOString() : null;
      out.set(id, { ...m, id, raw: j.job_state, nodes: j.nodes ?? '', endedAt: ended, source: 'squeue' });
    }
    return out;
  }

  async findByName(names: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const j of await this.jobs()) if (names.includes(j.name)) out.set(j.name, String(j.job_id));
    return out;
  }

  async cancel(ids: string[]): Promise<void> {
    const v = await this.detect();
    for (const id of ids) {
      const { status, body } = await this.call<{ errors?: { error?: string }[] }>('DELETE', `/slurm/${v}/job/${encodeURIComponent(id)}`);
      const err = this.errors(body);
      if (status !== 200 && !/already completing or completed|Invalid job id/i.test(err)) throw new CairnError('HostCheckFailed', `slurmrestd at ${this.url}: cancelling job ${id} failed: ${err || `HTTP ${status}`}`);
    }
  }
}
