import { CairnError } from '../../protocol/errors.ts';
import { isUniqueViolation } from '../../store/index.ts';

/** What registering a version needs of a registry's rows (environments, components). */
export interface VersionedRepo<Row extends { spec_hash: string }> {
  latest(workspace: string, name: string): Promise<Row | undefined>;
  get(workspace: string, name: string, version: string): Promise<Row | undefined>;
  maxNumericVersion(workspace: string, name: string): Promise<number>;
}

/**
 * Registers a version of `name`, the way environments and components both are: versions never
 * change, so the same content again answers with its version, other content under a taken version
 * is refused, and without a version the next number is taken (tried again when another client
 * took it meanwhile). `insert` writes the row for a version; a unique violation means a race.
 */
export async function registerVersion<Row extends { spec_hash: string }>(o: {
  what: string;
  workspace: string;
  name: string;
  version: string | undefined;
  hash: string;
  repo: VersionedRepo<Row>;
  insert: (version: string, versionNum: number | null) => Promise<Row>;
}): Promise<Row> {
  const { what, workspace, name, hash, repo } = o;
  if (o.version === undefined) {
    const latest = await repo.latest(workspace, name);
    if (latest?.spec_hash === hash) return latest; // nothing new to version
  }
  for (let tries = 0; tries < 3; tries++) {
    const version = o.version ?? String((await repo.maxNumericVersion(workspace, name)) + 1);
    const existing = await repo.get(workspace, name, version);
    if (existing) {
      if (o.version === undefined) continue; // another client took this number meanwhile
      if (existing.spec_hash === hash) return existing;
      throw new CairnError('AlreadyExists', `${what} '${name}' version ${version} already exists with other content; versions never change: give a new version, or leave version out to get the next number`);
    }
    try {
      return await o.insert(version, /^\d{1,15}$/.test(version) ? Number(version) : null);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new CairnError('Conflict', `${what} '${name}' is being created by someone else right now; try again`);
}
