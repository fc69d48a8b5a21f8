import type { Store } from '../store/index.ts';

/** How long a batch's digest is kept to recognise a client's retry of it. */
const DIGEST_TTL_MS = 24 * 3600_000;

/**
 * Single `log-metric` calls append one-point chunks; this merges them so long series read back
 * fast. Merging keeps each point's order and index, so readers never notice it happened. Each
 * series is merged in its own transaction, so a restart simply carries on.
 */
export class MetricCompactor {
  private readonly store: Store;
  private lastPrune = 0;
  constructor(store: Store) {
    this.store = store;
  }

  /** A bounded amount of work a tick, in short transactions, so ingest keeps its pace. */
  async tick(): Promise<number> {
    let merged = 0;
    for (const id of await this.store.metrics.fragmentedSeries(10)) merged += await this.store.metrics.compact(id);
    if (Date.now() - this.lastPrune > 600_000) {
      this.lastPrune = Date.now();
      await this.store.metrics.pruneBatchDigests(Date.now() - DIGEST_TTL_MS);
    }
    return merged;
  }
}
