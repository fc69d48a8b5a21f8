import type { StreamEvent } from '../protocol/job.ts';

type Listener = (e: StreamEvent) => void;

/**
 * In-process fan-out of job events to open streams, and wake-ups for agents waiting on work.
 * Only a latency aid: every reader also re-reads the store, so a second server (PostgreSQL)
 * or a missed event costs time, never data.
 */
export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly waiters = new Map<string, Set<() => void>>();

  publish(jobId: string, e: StreamEvent): void {
    for (const l of this.listeners.get(jobId) ?? []) l(e);
  }

  subscribe(jobId: string, l: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(l);
    return () => {
      set!.delete(l);
      if (set!.size === 0) this.listeners.delete(jobId);
    };
  }

  /** Resolves when `wake(node)` is called or after `ms`, whichever comes first. */
  waitForWork(node: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(node);
      if (!set) this.waiters.set(node, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      set.add(done);
    });
  }

  wake(node: string): void {
    for (const w of [...(this.waiters.get(node) ?? [])]) w();
  }
}
