import type { FastifyInstance, FastifyReply } from 'fastify';
import { CreateJobRequest } from '../../protocol/job-spec.ts';
import { CreateSweepRequest, isSweepBody } from '../../protocol/sweep-spec.ts';
import { CreatePipelineRequest, isPipelineBody } from '../../protocol/pipeline-spec.ts';
import { JOBS_NEXT_CURSOR_HEADER, JOBS_OFFSET_HEADER, JOBS_PREV_CURSOR_HEADER, JOBS_TOTAL_COUNT_HEADER, ListJobsQuery, isTerminal, type JobStatus, type StreamEvent } from '../../protocol/job.ts';
import { API } from '../../protocol/routes.ts';
import { CairnError } from '../../protocol/errors.ts';
import { checkRelativePath } from '../../protocol/paths.ts';
import type { Services } from '../services/index.ts';
import { parse } from './validate.ts';
import { BODY_LIMITS } from '../body.ts';
import { createdBy } from '../auth.ts';
import { contentTypeOf, previewKindOf } from '../services/tracking/content-types.ts';

const JOB = `${API}/workspaces/:ws/jobs/:name`;
type P = { ws: string; name: string };

export function jobRoutes(app: FastifyInstance, s: Services): void {
  app.post<{ Params: { ws: string } }>(`${API}/workspaces/:ws/jobs`, { bodyLimit: BODY_LIMITS.job }, async (req, reply) => {
    reply.code(201);
    if (isSweepBody(req.body)) return s.sweeps.create(req.params.ws, parse(CreateSweepRequest, req.body), createdBy(req));
    if (isPipelineBody(req.body)) return s.pipelines.create(req.params.ws, parse(CreatePipelineRequest, req.body), createdBy(req));
    return s.jobs.create(req.params.ws, parse(CreateJobRequest, req.body), createdBy(req));
  });

  // The body stays an array (the CLI and SDK read it so); paging facts travel in headers.
  app.get<{ Params: { ws: string } }>(`${API}/workspaces/:ws/jobs`, async (req, reply) => {
    const page = await s.jobs.list(req.params.ws, parse(ListJobsQuery, req.query));
    if (page.next) reply.header(JOBS_NEXT_CURSOR_HEADER, page.next);
    if (page.prev) reply.header(JOBS_PREV_CURSOR_HEADER, page.prev);
    if (page.total !== undefined) reply.header(JOBS_TOTAL_COUNT_HEADER, String(page.total));
    if (page.offset !== undefined) reply.header(JOBS_OFFSET_HEADER, String(page.offset));
    return page.jobs;
  });

  app.get<{ Params: P }>(JOB, async (req) => s.jobs.get(req.params.ws, req.params.name));

  app.post<{ Params: P }>(`${JOB}/cancel`, async (req) => s.jobs.cancel(req.params.ws, req.params.name));

  app.get<{ Params: P; Querystring: { after?: string; limit?: string } }>(`${JOB}/logs`, async (req) => {
    const row = await s.jobs.row(req.params.ws, req.params.name);
    const after = Number(req.query.after ?? 0) || 0;
    const limit = Math.min(Math.max(Number(req.query.limit ?? 10_000) || 10_000, 1), 50_000);
    const lines = await s.store.logs.read(row.id, after, limit);
    return { lines: lines.map(({ offset: _o, ...l }) => l), next: lines.length ? lines[lines.length - 1].seq : after, status: row.status };
  });

  // Server-sent events: the log from `after`, then live lines and status changes, then `end`.
  app.get<{ Params: P; Querystring: { after?: string } }>(`${JOB}/stream`, async (req, reply) => {
    const row = await s.jobs.row(req.params.ws, req.params.name);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let last = Number(req.query.after ?? 0) || 0;
    let closed = false;
    let wake: (() => void) | null = null;
    let statusSent = '';
    const event = (e: StreamEvent) => `data: ${JSON.stringify(e)}\n\n`;
    // Backpressure: a long log written without waiting for the socket piles up in memory, and
    // Node drops a response that buffered some tens of MB (a 300,000-line job arrived empty).
    const write = async (chunk: string) => {
      if (!res.write(chunk) && !closed) await new Promise<void>((r) => {
        const done = () => (res.off('drain', done), res.off('close', done), r());
        res.on('drain', done);
        res.on('close', done);
      });
    };
    const send = (e: StreamEvent) => write(event(e));
    const unsubscribe = s.events.subscribe(row.id, () => wake?.());
    req.raw.on('close', () => {
      closed = true;
      wake?.();
    });
    const keepalive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    try {
      for (;;) {
        // The store is the source of truth: events only say "look again now".
        for (;;) {
          const lines = await s.store.logs.read(row.id, last, 5_000);
          if (closed) break;
          if (lines.length) await write(lines.map((l) => event({ type: 'log', line: { seq: l.seq, attempt: l.attempt, rank: l.rank, stream: l.stream as 'stdout', ts: l.ts, text: l.text } })).join(''));
          if (lines.length) last = lines[lines.length - 1].seq;
          if (lines.length < 5_000) break;
        }
        const now = await s.store.jobs.getById(row.id);
        if (now && now.status !== statusSent) {
          statusSent = now.status;
          await send({ type: 'status', status: now.status as JobStatus, reason: now.status_reason, at: new Date().toISOString() });
        }
        if (!now || isTerminal(now.status) || closed) {
          if (now && !closed) await send({ type: 'end', job: await s.jobs.get(req.params.ws, req.params.name) });
          break;
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 1_000);
        });
        wake = null;
      }
    } finally {
      clearInterval(keepalive);
      unsubscribe();
      res.end();
    }
  });

  app.get<{ Params: P }>(`${JOB}/artifacts`, async (req) => {
    const row = await s.jobs.row(req.params.ws, req.params.name);
    return (await s.store.resources.artifacts(row.id)).map((a) => ({
      path: a.path,
      size: Number(a.size),
      sha256: a.sha256,
      content_type: contentTypeOf(a.path),
      preview: previewKindOf(a.path),
    }));
  });

  // `max_bytes` gives a preview: the first bytes of a big text or JSON file.
  app.get<{ Params: P; Querystring: { path?: string; max_bytes?: string } }>(`${JOB}/artifacts/content`, async (req, reply) => {
    const row = await s.jobs.row(req.params.ws, req.params.name);
    const path = checkRelativePath(req.query.path ?? '', 'artifact path');
    const a = (await s.store.resources.artifacts(row.id)).find((x) => x.path === path);
    if (!a) throw new CairnError('NotFound', `job '${row.name}' has no artifact '${path}'`);
    const max = req.query.max_bytes === undefined ? undefined : Number(req.query.max_bytes);
    if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) throw new CairnError('ValidationError', `max_bytes: expected a positive integer, got '${req.query.max_bytes}'`);
    await s.blobs.check(a.sha256, { size: Number(a.size), what: `artifact '${a.path}' of job '${row.name}'` });
    reply.header('content-type', contentTypeOf(a.path));
    untrustedContent(reply);
    if (max !== undefined && max < Number(a.size)) {
      reply.header('x-cairn-truncated', 'true');
      return reply.send(s.blobs.streamRange(a.sha256, max));
    }
    reply.header('content-length', Number(a.size));
    return reply.send(s.blobs.stream(a.sha256));
  });
}

/**
 * A job is untrusted code and so is what it writes: an HTML or SVG output opened from the studio's
 * origin must not run script with the user's session, so it is sandboxed and never sniffed.
 */
export function untrustedContent(reply: FastifyReply): void {
  reply.header('content-security-policy', 'sandbox');
  reply.header('x-content-type-options', 'nosniff');
}
