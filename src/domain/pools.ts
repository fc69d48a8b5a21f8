import { z } from 'zod';
import type { SizeCatalog, VmSize } from '../protocol/compute-sizes.ts';
import type { ComputeRow } from '../store/computes.ts';

/**
 * What the scheduler and the autoscaler need of a pool compute (a cluster, or an instance: a pool
 * of one), decoded from its stored spec through a schema; null for computes without a pool (the
 * local machine, attached hosts).
 */
export interface Pool {
  kind: 'amlcompute' | 'computeinstance';
  min: number;
  max: number;
  idleMs: number;
  size: VmSize;
  tier: 'dedicated' | 'low_priority';
  provider: string;
  /** An instance that is stopped (its node kept, its agent down). */
  stopped: boolean;
  /** An instance stops itself after this long without jobs (null: never). */
  idleShutdownMs: number | null;
}

const Stored = z.looseObject({
  type: z.enum(['amlcompute', 'computeinstance']),
  size: z.string(),
  min_instances: z.number().int().nonnegative().default(0),
  max_instances: z.number().int().positive().default(4),
  idle_time_before_scale_down: z.number().int().nonnegative().default(120),
  tier: z.enum(['dedicated', 'low_priority']).default('dedicated'),
  provider: z.union([z.string(), z.looseObject({ type: z.string() })]).default('local'),
  idle_time_before_shutdown_minutes: z.number().int().positive().optional(),
});

export function poolOf(row: Pick<ComputeRow, 'type' | 'spec' | 'power_state'>, sizes: SizeCatalog): Pool | null {
  if (row.type !== 'amlcompute' && row.type !== 'computeinstance') return null;
  const s = Stored.parse(JSON.parse(row.spec));
  const size = sizes.find(s.size);
  if (!size) throw new Error(`compute has size '${s.size}', which this server's catalog no longer has (CAIRN_SIZES_FILE)`);
  const instance = s.type === 'computeinstance';
  const stopped = instance && row.power_state === 'Stopped';
  return {
    kind: s.type,
    min: instance ? (stopped ? 0 : 1) : s.min_instances,
    max: instance ? 1 : s.max_instances,
    idleMs: instance ? Number.POSITIVE_INFINITY : s.idle_time_before_scale_down * 1000,
    size,
    tier: instance ? 'dedicated' : s.tier,
    provider: typeof s.provider === 'string' ? s.provider : s.provider.type,
    stopped,
    idleShutdownMs: instance && s.idle_time_before_shutdown_minutes ? s.idle_time_before_shutdown_minutes * 60_000 : null,
  };
}
