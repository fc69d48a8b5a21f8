import { z } from 'zod';
import { KeyValue } from './entities.ts';
import { invalidParam, missingParam } from './errors.ts';
import type { Fields } from './fields.ts';

/** MLflow's model registry entities (mlflow/protos/model_registry.proto), as the REST API returns them. */

export const ModelVersion = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: z.number(),
  last_updated_timestamp: z.number(),
  user_id: z.string().optional(),
  current_stage: z.string(),
  description: z.string().optional(),
  source: z.string(),
  run_id: z.string().optional(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']),
  tags: z.array(KeyValue).optional(),
  aliases: z.array(z.string()).optional(),
  /** MLflow 3: the logged model the version was made from. */
  model_id: z.string().optional(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const RegisteredModelAlias = z.object({ alias: z.string(), version: z.string() });

export const RegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: z.number(),
  last_updated_timestamp: z.number(),
  description: z.string().optional(),
  latest_versions: z.array(ModelVersion).optional(),
  tags: z.array(KeyValue).optional(),
  aliases: z.array(RegisteredModelAlias).optional(),
});
export type RegisteredModel = z.infer<typeof RegisteredModel>;

/** The stages of MLflow's (deprecated, still used) stage workflow, with their canonical spelling. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export function canonicalStage(stage: string): Stage {
  const s = STAGES.find((x) => x.toLowerCase() === stage.toLowerCase());
  if (!s) throw invalidParam(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return s;
}

/**
 * A registered model's name is also a Cairn model asset's name, so it follows the asset rule
 * (MLflow allows more; a name Cairn cannot hold is refused at once rather than mangled).
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
export function readModelName(f: Fields, field = 'name'): string {
  const v = f[field];
  if (v === undefined || v === null || v === '') throw missingParam(field);
  if (typeof v !== 'string') throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied.`);
  if (!NAME.test(v)) {
    throw invalidParam(`Invalid registered model name '${v}': on this server a model name is letters, digits, -, _ and . (starting with a letter or digit, at most 255), as it is also a Cairn model asset`);
  }
  return v;
}

/** mlflow/utils/validation.py _validate_model_alias_name. */
export function checkAlias(alias: string): string {
  if (!alias) throw missingParam('alias');
  if (alias.length > 255) throw invalidParam(`Registered model alias name '${alias.slice(0, 40)}...' exceeds the maximum length of 255 characters`);
  if (!/^[\w-]+$/.test(alias)) {
    throw invalidParam(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  if (alias.toLowerCase() === 'latest') throw invalidParam("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalidParam(`Version alias name '${alias}' is reserved.`);
  return alias;
}

/** MLflow's version field: a positive integer as a string (Cairn's own versions may be other words). */
export function readVersion(f: Fields): string {
  const v = f.version;
  if (v === undefined || v === null || v === '') throw missingParam('version');
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v !== 'string') throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter 'version' supplied.`);
  return v;
}

/** Where a registered version's files are served by the artifact proxy (get-download-uri). */
export const modelVersionArtifactUri = (name: string, version: string) => `mlflow-artifacts:/models/${name}/${encodeURIComponent(version)}`;
