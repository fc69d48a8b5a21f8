import { z } from 'zod';
import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { ModelVersion, RegisteredModel } from '../../../protocol/mlflow/registry.ts';
import type { AssetContainerRow, AssetRow } from '../../../store/assets.ts';

/**
 * Cairn's model assets as MLflow's registry entities: a registered model is a model asset's
 * container (its name, description, tags), a model version is one of its versions.
 */

/** The logged model (MLflow 3) a version was made from, kept among the version's properties. */
export const MODEL_ID_PROPERTY = 'mlflow.model_id';

const Pairs = z.record(z.string(), z.unknown());
export function readRecord(json: string | null): Record<string, string> {
  if (!json) return {};
  const parsed = Pairs.safeParse(JSON.parse(json));
  return parsed.success ? Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, String(v)])) : {};
}
export const pairs = (m: Record<string, string>) => Object.entries(m).map(([key, value]) => ({ key, value }));

export function toModelVersion(row: AssetRow, aliases: string[]): ModelVersion {
  const tags = pairs(readRecord(row.tags));
  const modelId = readRecord(row.properties)[MODEL_ID_PROPERTY];
  return {
    name: row.name,
    version: row.version,
    creation_timestamp: Number(row.created_ms),
    last_updated_timestamp: Number(row.updated_ms),
    user_id: row.created_by,
    current_stage: row.stage ?? 'None',
    ...(row.description ? { description: row.description } : {}),
    source: row.path,
    ...(row.run_id ? { run_id: row.run_id } : {}),
    status: 'READY',
    ...(tags.length ? { tags } : {}),
    ...(aliases.length ? { aliases } : {}),
    ...(modelId ? { model_id: modelId } : {}),
  };
}

/** MLflow's latest_versions: the highest version in each stage (all stages, or the ones asked for). */
export function latestPerStage(rows: AssetRow[], stages?: string[]): AssetRow[] {
  const best = new Map<string, AssetRow>();
  for (const r of rows) {
    const stage = r.stage ?? 'None';
    if (stages?.length && !stages.includes(stage)) continue;
    const cur = best.get(stage);
    if (!cur || compareVersions(r, cur) > 0) best.set(stage, r);
  }
  return [...best.values()].sort((a, b) => compareVersions(a, b));
}

/** Numeric versions as numbers; Cairn's named versions (2024-05-01) after them, by creation. */
export function compareVersions(a: AssetRow, b: AssetRow): number {
  const [x, y] = [a.version_num, b.version_num];
  if (x !== null && y !== null) return Number(x) - Number(y);
  if (x !== null) return -1;
  if (y !== null) return 1;
  return Number(a.created_ms) - Number(b.created_ms);
}

export function toRegisteredModel(c: AssetContainerRow, versions: AssetRow[], aliases: { alias: string; version: string }[]): RegisteredModel {
  const tags = pairs(readRecord(c.tags));
  const byVersion = aliasesByVersion(aliases);
  const latest = latestPerStage(versions).map((v) => toModelVersion(v, byVersion.get(v.version) ?? []));
  return {
    name: c.name,
    creation_timestamp: Number(c.created_ms),
    last_updated_timestamp: Number(c.updated_ms),
    ...(c.description ? { description: c.description } : {}),
    ...(latest.length ? { latest_versions: latest } : {}),
    ...(tags.length ? { tags } : {}),
    ...(aliases.length ? { aliases: aliases.map((a) => ({ alias: a.alias, version: a.version })) } : {}),
  };
}

export function aliasesByVersion(aliases: { alias: string; version: string }[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const a of aliases) m.set(a.version, [...(m.get(a.version) ?? []), a.alias]);
  return m;
}

/** Registry tags: MLflow's bounds (key 250, value 5000), refused rather than cut. */
export function checkRegistryTag(key: string, value: string): void {
  if (!key) throw invalidParam("Missing value for required parameter 'key'.");
  if (key.length > 250) throw invalidParam(`Tag key '${key.slice(0, 40)}...' exceeds the maximum length of 250 characters`);
  if (value.length > 5000) throw invalidParam(`Tag value for '${key}' exceeds the maximum length of 5000 characters`);
}
