import { z } from 'zod';

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** One entry of a code snapshot. Symlinks carry `link` (their target) and no content blob. */
export const ManifestEntry = z.object({
  path: z.string().min(1),
  /** Permission bits only: a snapshot never carries setuid, setgid or sticky bits. */
  mode: z.number().int().min(0).max(0o777, { error: (i) => `mode 0o${Number(i.input).toString(8)} has setuid, setgid or sticky bits; a snapshot entry has permission bits only (at most 0o777)` }),
  size: z.number().int().min(0),
  sha256: Sha256,
  link: z.string().optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const MAX_MANIFEST_ENTRIES = 200_000;

export const Manifest = z.strictObject({
  entries: z.array(ManifestEntry).max(MAX_MANIFEST_ENTRIES),
});
export type Manifest = z.infer<typeof Manifest>;

export const MissingBlobsRequest = z.strictObject({ sha256: z.array(Sha256).max(MAX_MANIFEST_ENTRIES) });
export type MissingBlobsRequest = z.infer<typeof MissingBlobsRequest>;
export const MissingBlobsResponse = z.object({ missing: z.array(Sha256) });
export type MissingBlobsResponse = z.infer<typeof MissingBlobsResponse>;

export const Snapshot = z.object({
  id: Sha256,
  file_count: z.number().int(),
  total_size: z.number().int(),
  created_at: z.string(),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const GitFacts = z.object({
  repository_url: z.string().optional(),
  branch: z.string().optional(),
  commit: z.string().optional(),
  dirty: z.boolean().optional(),
});
export type GitFacts = z.infer<typeof GitFacts>;

const HEX64 = /^[0-9a-f]{64}$/;

function entryLooksValid(e: any): boolean {
  if (e === null || typeof e !== 'object') return false;
  const keys = Object.keys(e);
  if (keys.length !== 4 && keys.length !== 5) return false;
  return (
    typeof e.path === 'string' &&
    e.path.length > 0 &&
    Number.isInteger(e.mode) &&
    e.mode >= 0 &&
    e.mode <= 0o777 &&
    Number.isInteger(e.size) &&
    e.size >= 0 &&
    typeof e.sha256 === 'string' &&
    HEX64.test(e.sha256) &&
    (keys.length === 4 || typeof e.link === 'string')
  );
}

/**
 * Manifest.parse with a fast path: a re-submitted 10,000-file tree is validated in about a
 * millisecond instead of tens. Anything the fast check doubts goes through the schema, which
 * gives the same result and the same error messages.
 */
export function parseManifest(data: unknown): Manifest {
  const d = data as { entries?: unknown };
  if (d && typeof d === 'object' && Object.keys(d).length === 1 && Array.isArray(d.entries) && d.entries.length <= MAX_MANIFEST_ENTRIES && d.entries.every(entryLooksValid)) {
    return { entries: d.entries as ManifestEntry[] };
  }
  return Manifest.parse(data);
}

/** MissingBlobsRequest.parse with the same fast path. */
export function parseMissingBlobs(data: unknown): MissingBlobsRequest {
  const d = data as { sha256?: unknown };
  if (d && typeof d === 'object' && Array.isArray(d.sha256) && d.sha256.length <= MAX_MANIFEST_ENTRIES && d.sha256.every((s) => typeof s === 'string' && HEX64.test(s))) {
    return { sha256: d.sha256 as string[] };
  }
  return MissingBlobsRequest.parse(data);
}

/**
 * A snapshot described as changes to one the server already has: a re-submit after editing one
 * file of a 10,000-file tree sends one entry instead of ten thousand.
 */
export const SnapshotDelta = z.strictObject({
  base: Sha256,
  upsert: z.array(ManifestEntry).max(MAX_MANIFEST_ENTRIES),
  remove: z.array(z.string().min(1)).max(MAX_MANIFEST_ENTRIES),
});
export type SnapshotDelta = z.infer<typeof SnapshotDelta>;

/** The body of POST .../snapshots: a whole manifest, or a delta against a base snapshot. */
export function parseSnapshotRequest(data: unknown): Manifest | SnapshotDelta {
  if (data && typeof data === 'object' && 'base' in data) return SnapshotDelta.parse(data);
  return parseManifest(data);
}
