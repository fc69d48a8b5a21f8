// Words for a compute's state, counts and properties, shared by the list and the compute's page.
import type { ComputeView } from '../../../protocol/compute.ts';
import { duration } from '../../format.ts';

/** Provisioning state, then the power state when there is one (Running, Stopped, Starting...). */
export const stateWords = (c: ComputeView): string[] => [c.provisioning_state, ...(c.state && c.state !== c.provisioning_state ? [c.state] : [])];

const num = (v: unknown): string => (typeof v === 'number' ? String(v) : '-');

/** A cluster's nodes as now / min / max; other computes the nodes they have. */
export function nodeCounts(c: ComputeView): string {
  if (c.type === 'amlcompute') return `${c.current_node_count ?? c.nodes.length} / ${num(c.min_instances ?? 0)} / ${num(c.max_instances)}`;
  return String(c.nodes.length);
}

/** How long ago, as the studio writes durations (42s, 3m 05s, 2h 05m). */
export function since(iso: string | null | undefined, now = Date.now()): string | null {
  if (!iso) return null;
  return duration(Math.max(0, Math.round((now - Date.parse(iso)) / 1000)));
}

/** The provider a pool compute's nodes come from: 'local', or the object's type. */
export function providerName(c: ComputeView): string | null {
  const p = c.provider as unknown;
  if (typeof p === 'string') return p;
  if (p && typeof p === 'object' && 'type' in p) return String((p as { type: unknown }).type);
  return null;
}

/** A value of the spec as text for the properties list (objects as compact JSON). */
export function showValue(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
