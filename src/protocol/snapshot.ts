import { z } from 'zod';

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

/** One entry of a code snapshot. Symlinks carry `link` (their target) and no content blob. */
export const ManifestEntry = z.object({
  path: z.string().min(1),
  mode: z.number().int().min(0).max(0o7777),
  size: z.number().int().min(0),
  sha256: Sha256,
  link: z.string().optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const MAX_MANIFEST_ENTRIES = 200_000;

export const Manifest = z.object({
  entries: z.array(ManifestEntry).max(MAX_MANIFEST_ENTRIES),
});
export type Manifest = z.infer<typeof Manifest>;

export const MissingBlobsRequest = z.object({ sha256: z.array(Sha256).max(MAX_MANIFEST_ENTRIES) });
export type MissingBlobsRequest = z.infer<typeof MissingBlobsRequest>;
export const MissingBlobsResponse = z.object({ missing: z.array(Sha256) });
export type MissingBlobsResponse = z.infer<typeof MissingBlobsResponse>;

export const CreateSnapshotRequest = Manifest;
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
