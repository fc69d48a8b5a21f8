import { type Asset, JobData, kindOfType, parseDataPath } from '../../protocol/data.ts';
import type { Store } from '../../store/index.ts';
import type { JobRow } from '../../store/jobs.ts';
import type { AssetsService } from './assets.ts';
import { entriesUnder } from './data-content.ts';
import type { DatastoresService } from './datastores.ts';
import type { SnapshotsService } from './snapshots.ts';

export interface JobOutputsDeps {
  store: Store;
  snapshots: SnapshotsService;
  assets: AssetsService;
  datastores: DatastoresService;
}

/**
 * What happens to a job's named outputs when it succeeds: each with a `path:` is written to its
 * datastore, each with a `name:` is registered as a data or model asset version. All or nothing:
 * a failure removes the versions already registered and fails the job with the reason.
 */
export class JobOutputsFinisher {
  private readonly d: JobOutputsDeps;
  constructor(deps: JobOutputsDeps) {
    this.d = deps;
  }

  async finish(job: JobRow): Promise<string | null> {
    if (!job.data) return null;
    const { outputs } = JobData.parse(JSON.parse(job.data));
    if (!outputs.some((o) => o.path || o.asset)) return null;
    const artifacts = await this.d.store.resources.artifacts(job.id);
    const made: Asset[] = [];
    let current = '';
    let doing = 'registered';
    try {
      for (const o of outputs) {
        current = o.name;
        const entries = entriesUnder(artifacts, `outputs/${o.name}`);
        const isFile = entries.length === 1 && entries[0].path === '';
        const tree = isFile ? [{ ...entries[0], path: o.name }] : entries;
        if (o.type === 'uri_file' && !isFile && (o.path || o.asset)) return `output '${o.name}' is uri_file, but the job wrote ${entries.length ? 'a folder' : 'nothing'} at \${{outputs.${o.name}}}`;
        if (o.path) {
          doing = 'written to its datastore';
          const p = parseDataPath(o.path);
          if ('error' in p || p.kind !== 'datastore') return `output '${o.name}': path ${o.path} is not a datastore path`;
          await this.d.datastores.exportTo(job.workspace, p.datastore, isFile ? parentOf(p.path) : p.path, isFile ? [{ ...tree[0], path: p.path.split('/').pop() || o.name }] : tree);
        }
        if (o.asset) {
          doing = 'registered';
          const snap = await this.d.snapshots.createData(job.workspace, tree);
          const r = await this.d.assets.register(job.workspace, {
            kind: kindOfType(o.type),
            name: o.asset.name,
            version: o.asset.version,
            type: o.type,
            content: { snapshot_id: snap.id, ...(isFile ? { file: o.name } : {}), file_count: snap.file_count, total_size: snap.total_size, uri: `azureml://jobs/${job.name}/outputs/${o.name}` },
            job_id: job.id,
            created_by: job.created_by,
          });
          if (r.created) made.push(r.asset);
        }
      }
      return null;
    } catch (err) {
      for (const a of made) await this.d.store.assets.deleteVersion(job.workspace, a.kind, a.name, a.version).catch(() => {});
      return `output '${current}' could not be ${doing}: ${(err as Error).message}`;
    }
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}
