// Reads a job's log into a LogBuffer: what exists through GET /logs in big pages, then what comes
// live through GET /stream (server-sent events; EventSource sends the session cookie).
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, ApiError } from '../../../api.ts';
import { isTerminal, type LogLine, type StreamEvent } from '../../../../protocol/job.ts';
import { LogBuffer } from './log-buffer.ts';

/** The server's largest page of GET /logs. */
const PAGE = 50_000;
const RETRY_MS = 2_000;

export interface FeedState {
  phase: 'loading' | 'following' | 'done' | 'reconnecting';
  error: ApiError | null;
  /** Bumped whenever lines arrive: what a view re-renders on. */
  version: number;
}

export class LogFeed {
  readonly buffer = new LogBuffer();
  private state: FeedState = { phase: 'loading', error: null, version: 0 };
  private readonly listeners = new Set<() => void>();
  private events: EventSource | null = null;
  /** Each start is a generation: a loop of an earlier one stops at its next step. */
  private generation = 0;
  private frame = 0; // a pending animation frame that tells the view; harmless after stop
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly path: string;
  private readonly onStatus: (status: string) => void;

  constructor(path: string, onStatus: (status: string) => void) {
    this.path = path;
    this.onStatus = onStatus;
  }

  subscribe = (f: () => void) => (this.listeners.add(f), () => void this.listeners.delete(f));
  getState = () => this.state;

  private set(changes: Partial<FeedState>): void {
    this.state = { ...this.state, ...changes };
    for (const f of this.listeners) f();
  }

  /** Lines can come thousands a second: the view hears of them at most once a frame. */
  private linesArrived(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.set({ version: this.state.version + 1 });
    });
  }

  async start(): Promise<void> {
    const gen = ++this.generation;
    this.closeEvents();
    try {
      for (;;) {
        const r = await api<{ lines: LogLine[]; status: string }>('GET', `${this.path}/logs?after=${this.buffer.lastSeq}&limit=${PAGE}`);
        if (gen !== this.generation) return;
        if (this.buffer.push(r.lines)) this.linesArrived();
        if (r.lines.length < PAGE) {
          if (isTerminal(r.status)) return this.set({ phase: 'done', error: null });
          break;
        }
      }
      this.follow(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      // The job is gone (404) or the server refused: say so; anything else may pass, so try again.
      const e = err as ApiError;
      if (e.status >= 400 && e.status < 500) return this.set({ phase: 'done', error: e });
      this.set({ phase: 'reconnecting', error: e });
      this.retry = setTimeout(() => gen === this.generation && void this.start(), RETRY_MS);
    }
  }

  private follow(gen: number): void {
    this.set({ phase: 'following', error: null });
    const es = new EventSource(`${this.path}/stream?after=${this.buffer.lastSeq}`);
    this.events = es;
    es.onmessage = (m) => {
      const e = JSON.parse(m.data as string) as StreamEvent;
      if (e.type === 'log') {
        if (this.buffer.push([e.line])) this.linesArrived();
      } else if (e.type === 'status') {
        this.onStatus(e.status);
      } else {
        this.closeEvents();
        this.set({ phase: 'done' });
        this.onStatus('end');
      }
    };
    // EventSource would reconnect by itself, from the first `after` again: read on from the last line instead.
    es.onerror = () => {
      if (gen !== this.generation || this.events !== es) return;
      this.closeEvents();
      this.set({ phase: 'reconnecting' });
      this.retry = setTimeout(() => gen === this.generation && void this.start(), RETRY_MS);
    };
  }

  private closeEvents(): void {
    this.events?.close();
    this.events = null;
    clearTimeout(this.retry);
  }

  stop(): void {
    this.generation++;
    this.closeEvents();
  }
}

/**
 * The log of job `path`, read from the first time `wanted` is true until the page goes (switching
 * tabs keeps it, so a million lines are read once). `onStatus` hears the stream's status changes.
 */
export function useLogFeed(path: string, wanted: boolean, onStatus: (status: string) => void): { feed: LogFeed | null; state: FeedState | null } {
  const heard = useRef(onStatus);
  heard.current = onStatus;
  const [feed, setFeed] = useState<LogFeed | null>(null);
  useEffect(() => {
    if (wanted && !feed) setFeed(new LogFeed(path, (s) => heard.current(s)));
  }, [wanted, feed, path]);
  useEffect(() => {
    if (!feed) return;
    void feed.start();
    return () => feed.stop();
  }, [feed]);
  const state = useSyncExternalStore(feed?.subscribe ?? noSubscribe, feed?.getState ?? noState);
  return { feed, state: feed ? state : null };
}

const noSubscribe = () => () => {};
const noState = () => null;
