import { Job, StreamEvent, type LogLine, type ListJobsQuery, type Artifact } from '../protocol/job.ts';
import type { JobTracking, MetricBuckets, MetricSeries } from '../protocol/tracking.ts';
import type { CommandJobSpec, CreateJobRequest } from '../protocol/job-spec.ts';
import type { SweepJobSpec } from '../protocol/sweep-spec.ts';
import type { CreatePipelineRequest } from '../protocol/pipeline-spec.ts';
import { API, DEFAULT_WORKSPACE, ws } from '../protocol/routes.ts';
import { Assets, Datastores } from './data.ts';
import type { GitFacts, ManifestEntry, Snapshot } from '../protocol/snapshot.ts';
import { ComputeOperations } from './computes.ts';
import { EnvironmentOperations } from './environments.ts';
import { ComponentOperations } from './components.ts';
import { CairnError, ServerUnreachableError, errorFromResponse } from './errors.ts';
import { request, type HttpRequest, type HttpResponse } from './http.ts';

export interface ClientOptions {
  url: string;
  token?: string;
  workspace?: string;
}

/** A whole metric series as columns: `values` may hold "NaN", "Infinity" and "-Infinity". */
export interface MetricPoints {
  key: string;
  steps: number[];
  timestamps: number[];
  values: MetricSeries['values'];
}

export interface StreamHandlers {
  onLine?: (line: LogLine) => void;
  onStatus?: (e: Extract<StreamEvent, { type: 'status' }>) => void;
  after?: number;
  signal?: AbortSignal;
}

/** The client the CLI itself uses: every call maps to one route, every failure to a typed error. */
export class CairnClient {
  readonly url: string;
  readonly workspace: string;
  private readonly token?: string;
  /** Compute targets: create, attach, update, delete, start/stop, nodes, sizes (Azure ML's `ml_client.compute`). */
  readonly computes: ComputeOperations;
  /** Registered environments: create, get, list, archive, restore (Azure ML's `ml_client.environments`). */
  readonly environments: EnvironmentOperations;
  /** Registered command components: create, get, list, archive, restore (Azure ML's `ml_client.components`). */
  readonly components: ComponentOperations;
  /** Data assets (Azure ML's `ml_client.data`), models (`ml_client.models`) and datastores (`ml_client.datastores`). */
  readonly data: Assets;
  readonly models: Assets;
  readonly datastores: Datastores;

  constructor(o: ClientOptions) {
    this.url = o.url.replace(/\/$/, '');
    this.workspace = o.workspace ?? DEFAULT_WORKSPACE;
    this.token = o.token;
    this.computes = new ComputeOperations(this);
    this.environments = new EnvironmentOperations(this);
    this.components = new ComponentOperations(this);
    this.data = new Assets(this, 'data');
    this.models = new Assets(this, 'model');
    this.datastores = new Datastores(this);
  }

  private get ws(): string {
    return `${this.url}${ws(this.workspace)}`;
  }

  async fetch(url: string, init: HttpRequest = {}): Promise<HttpResponse> {
    const headers = { ...init.headers, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
    let res: HttpResponse;
    try {
      res = await request(url, { ...init, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ServerUnreachableError('ServerUnreachable', `cannot reach the Cairn server at ${this.url}: ${causeOf(err)}`);
    }
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, await res.text());
    return res;
  }

  async json<T = any>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await this.fetch(url, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status === 204) {
      await res.bytes();
      return undefined as T;
    }
    return (await res.json()) as T;
  }

  /** Whether the server is up; an admin (or anyone, on a server without tokens) also learns where it runs. */
  health(): Promise<{ status: string; version?: string; pid?: number; db?: string; data_dir?: string }> {
    return this.json('GET', `${this.url}${API}/health`);
  }

  // --- snapshots ---------------------------------------------------------------------------

  missingBlobs(sha256: string[]): Promise<string[]> {
    return this.json<{ missing: string[] }>('POST', `${this.ws}/blobs/missing`, { sha256 }).then((r) => r.missing);
  }

  async putBlob(sha256: string, data: Uint8Array): Promise<void> {
    const res = await this.fetch(`${this.ws}/blobs/${sha256}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data });
    await res.bytes();
  }

  /** One content blob sent as it is read from disk (data files may be bigger than memory). */
  async putBlobStream(sha256: string, body: NodeJS.ReadableStream, size: number): Promise<void> {
    const res = await this.fetch(`${this.ws}/blobs/${sha256}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body, length: size });
    await res.bytes();
  }

  /** The workspace's API root, for the operation classes. */
  get workspaceUrl(): string {
    return this.ws;
  }

  /** Entries, or their canonical JSON body when the caller has it already (it is what the id hashes). */
  async createSnapshot(manifest: ManifestEntry[] | string): Promise<Snapshot> {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify({ entries: manifest });
    const res = await this.fetch(`${this.ws}/snapshots`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return (await res.json()) as Snapshot;
  }

  async snapshotExists(id: string): Promise<boolean> {
    try {
      await this.json('GET', `${this.ws}/snapshots/${id}`);
      return true;
    } catch (err) {
      if (err instanceof CairnError && err.code === 'NotFound') return false;
      throw err;
    }
  }

  // --- jobs --------------------------------------------------------------------------------

  /** A command job or a sweep (the server tells them apart by `type`). */
  createJob(spec: CommandJobSpec | SweepJobSpec, opts: { snapshotId?: string; codeFolderName?: string; git?: GitFacts | null; inputUploads?: CreateJobRequest['input_uploads'] } = {}): Promise<Job> {
    const body: Omit<CreateJobRequest, 'spec'> & { spec: CommandJobSpec | SweepJobSpec } = { spec, snapshot_id: opts.snapshotId, code_folder_name: opts.codeFolderName, git: opts.git ?? undefined, input_uploads: opts.inputUploads };
    return this.json('POST', `${this.ws}/jobs`, body);
  }

  /** A pipeline: its spec, each step's uploaded code, its uploaded inputs. */
  createPipeline(body: CreatePipelineRequest): Promise<Job> {
    return this.json('POST', `${this.ws}/jobs`, body);
  }

  getJob(name: string): Promise<Job> {
    return this.json('GET', `${this.ws}/jobs/${encodeURIComponent(name)}`);
  }

  listJobs(q: ListJobsQuery = {}): Promise<Job[]> {
    const params = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.json('GET', `${this.ws}/jobs?${params}`);
  }

  cancelJob(name: string): Promise<Job> {
    return this.json('POST', `${this.ws}/jobs/${encodeURIComponent(name)}/cancel`);
  }

  async logs(name: string, after = 0): Promise<LogLine[]> {
    const out: LogLine[] = [];
    for (;;) {
      const page = await this.json<{ lines: LogLine[]; next: number }>('GET', `${this.ws}/jobs/${encodeURIComponent(name)}/logs?after=${after}`);
      out.push(...page.lines);
      if (page.lines.length === 0) return out;
      after = page.next;
    }
  }

  artifacts(name: string): Promise<Artifact[]> {
    return this.json('GET', `${this.ws}/jobs/${encodeURIComponent(name)}/artifacts`);
  }

  /** The job's MLflow run: params, tags and the last value of each metric. */
  jobMetrics(name: string): Promise<JobTracking> {
    return this.json('GET', `${this.ws}/jobs/${encodeURIComponent(name)}/metrics`);
  }

  /** One page of a metric's points in logging order. */
  metricSeries(name: string, key: string, o: { start?: number; maxPoints?: number } = {}): Promise<MetricSeries> {
    const q = new URLSearchParams();
    if (o.start !== undefined) q.set('start', String(o.start));
    if (o.maxPoints !== undefined) q.set('max_points', String(o.maxPoints));
    return this.json('GET', `${this.ws}/jobs/${encodeURIComponent(name)}/metrics/${encodeURIComponent(key)}?${q}`);
  }

  /** Every point of a metric in logging order, following `next_start` page by page. */
  async metricSeriesAll(name: string, key: string, o: { pageSize?: number } = {}): Promise<MetricPoints> {
    const out: MetricPoints = { key, steps: [], timestamps: [], values: [] };
    let start: number | undefined = 0;
    while (start !== undefined) {
      const page: MetricSeries = await this.metricSeries(name, key, { start, maxPoints: o.pageSize ?? 25_000 });
      // A loop, not push(...page): spreading a long page as arguments overflows the stack.
      for (let i = 0; i < page.steps.length; i++) {
        out.steps.push(page.steps[i]);
        out.timestamps.push(page.timestamps[i]);
        out.values.push(page.values[i]);
      }
      if (page.next_start !== undefined && page.next_start <= start) throw new CairnError('Internal', `metric '${key}': the server's next page (${page.next_start}) does not move past ${start}`);
      start = page.next_start;
    }
    return out;
  }

  /** Min, max and last value per step bucket: what a chart needs of a long series. */
  metricBuckets(name: string, key: string, o: { buckets: number; startStep?: number; endStep?: number }): Promise<MetricBuckets> {
    const q = new URLSearchParams({ buckets: String(o.buckets) });
    if (o.startStep !== undefined) q.set('start_step', String(o.startStep));
    if (o.endStep !== undefined) q.set('end_step', String(o.endStep));
    return this.json('GET', `${this.ws}/jobs/${encodeURIComponent(name)}/metrics/${encodeURIComponent(key)}?${q}`);
  }

  /** One artifact's bytes, all of them. */
  async artifactContent(name: string, path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.artifactResponse(name, path)).bytes());
  }

  /** The first `maxBytes` of an artifact, and whether the file has more. */
  async artifactPreview(name: string, path: string, maxBytes: number): Promise<{ data: Uint8Array; truncated: boolean }> {
    const res = await this.artifactResponse(name, path, { maxBytes });
    return { data: new Uint8Array(await res.bytes()), truncated: res.headers['x-cairn-truncated'] === 'true' };
  }

  /** One artifact as a stream of chunks, for files too large to hold in memory. */
  async artifactStream(name: string, path: string): Promise<AsyncIterable<Buffer>> {
    return (await this.artifactResponse(name, path)).body;
  }

  private artifactResponse(name: string, path: string, o: { maxBytes?: number } = {}): Promise<HttpResponse> {
    const q = new URLSearchParams({ path });
    if (o.maxBytes !== undefined) q.set('max_bytes', String(o.maxBytes));
    return this.fetch(`${this.ws}/jobs/${encodeURIComponent(name)}/artifacts/content?${q}`);
  }

  /**
   * Follows a job from `after` to its end: every stored line once, in order, and each status.
   * Resumes by itself when the connection drops (a restarting server, say). Returns the final job.
   */
  async stream(name: string, h: StreamHandlers = {}): Promise<Job> {
    let after = h.after ?? 0;
    let failures = 0;
    for (;;) {
      try {
        const res = await this.fetch(`${this.ws}/jobs/${encodeURIComponent(name)}/stream?after=${after}`, { signal: h.signal });
        failures = 0;
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (!frame.startsWith('data: ')) continue;
            const e = StreamEvent.parse(JSON.parse(frame.slice(6)));
            if (e.type === 'log') {
              after = e.line.seq;
              h.onLine?.(e.line);
            } else if (e.type === 'status') h.onStatus?.(e);
            else return Job.parse(e.job);
          }
        }
      } catch (err) {
        if (h.signal?.aborted || (err as Error).name === 'AbortError') throw err;
        if (!(err instanceof ServerUnreachableError) && !isDisconnect(err)) throw err;
        if (++failures > 60) throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Azure ML's `run.wait_for_completion(show_output=True)`. */
  waitForCompletion(name: string, o: { showOutput?: boolean; write?: (s: string) => void } = {}): Promise<Job> {
    const write = o.write ?? ((s: string) => process.stdout.write(s));
    return this.stream(name, { onLine: o.showOutput ? (l) => write(`${l.text}\n`) : undefined });
  }
}

function causeOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.message ?? String(e.message);
}

function isDisconnect(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  return e?.name === 'TypeError' || /ECONNRESET|EPIPE|aborted|PREMATURE_CLOSE|socket hang up|terminated/i.test(`${e?.code} ${e?.cause?.code} ${(err as Error)?.message}`);
}
