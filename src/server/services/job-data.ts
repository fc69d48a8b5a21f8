import { CairnError } from '../../protocol/errors.ts';
import { type AssetType, inputModeProblem, type JobData, kindOfType, parseDataPath, type ResolvedInput, type ResolvedOutput } from '../../protocol/data.ts';
import { isDataInput, type CommandJobSpec, type CreateJobRequest } from '../../protocol/job-spec.ts';
import type { ContentResolver } from './data-content.ts';
import type { DatastoresService } from './datastores.ts';

export interface JobDataDeps {
  content: ContentResolver;
  datastores: DatastoresService;
}

/**
 * A job's data inputs and outputs, resolved when it is submitted: every input becomes content the
 * blob store holds (or a URL its node fetches), so what is knowable now is refused now, in one line,
 * before anything is made; outputs are checked (their datastores reached, their names not taken twice).
 */
export class JobDataResolver {
  private readonly d: JobDataDeps;
  constructor(deps: JobDataDeps) {
    this.d = deps;
  }

  /** `jobName` fills `${{name}}` in an output's path (Azure's `azureml/${{name}}/${{output_name}}/`). */
  async resolve(workspace: string, spec: CommandJobSpec, uploads: CreateJobRequest['input_uploads'] = {}, jobName = spec.name ?? 'job'): Promise<JobData> {
    const inputs: ResolvedInput[] = [];
    for (const [name, input] of Object.entries(spec.inputs ?? {})) {
      if (!isDataInput(input)) continue;
      inputs.push(await this.input(workspace, name, input.type, input.path, input.mode, uploads[name]));
    }
    for (const name of Object.keys(uploads)) {
      const i = spec.inputs?.[name];
      if (!i || !isDataInput(i)) throw new CairnError('ValidationError', `input_uploads names '${name}', which is not a data input of the job`);
    }
    const outputs: ResolvedOutput[] = [];
    const registered = new Map<string, string>();
    for (const [name, o] of Object.entries(spec.outputs ?? {})) {
      const type: AssetType = o?.type ?? 'uri_folder';
      const mode = o?.mode ?? 'rw_mount';
      if (o?.version !== undefined && !o.name) throw new CairnError('ValidationError', `output '${name}': version needs a name to register the output under`);
      let path: string | undefined;
      if (o?.path) {
        const p = parseDataPath(outputPath(o.path, jobName, name));
        if ('error' in p) throw new CairnError('ValidationError', `output '${name}': path ${p.error}`);
        if (p.kind !== 'datastore') throw new CairnError('ValidationError', `output '${name}': path must be a datastore path, azureml://datastores/NAME/paths/PATH (found ${o.path})`);
        // A datastore that cannot be reached, or refuses its credentials, is known now.
        await this.d.datastores.probe(workspace, p.datastore).catch((err: Error) => {
          throw new CairnError((err as CairnError).code ?? 'Internal', `output '${name}': ${err.message}`);
        });
        path = `azureml://datastores/${p.datastore}/paths/${p.path}`;
      }
      if (o?.name) {
        const key = `${kindOfType(type)}:${o.name}:${o.version ?? ''}`;
        const other = registered.get(key);
        if (other) throw new CairnError('ValidationError', `outputs '${other}' and '${name}' both register ${kindOfType(type) === 'data' ? 'data asset' : 'model'} '${o.name}'${o.version ? ` version ${o.version}` : ''}; name each output's asset apart`);
        registered.set(key, name);
        if (o.version !== undefined && (await this.d.content.versionExists(workspace, kindOfType(type), o.name, o.version))) {
          throw new CairnError('AlreadyExists', `output '${name}': ${kindOfType(type) === 'data' ? 'data asset' : 'model'} '${o.name}' version ${o.version} already exists; versions never change: give a new version, or leave version out`);
        }
      }
      outputs.push({ name, type, mode, ...(path ? { path } : {}), ...(o?.name ? { asset: { name: o.name, ...(o.version !== undefined ? { version: o.version } : {}) } } : {}) });
    }
    return { inputs, outputs };
  }

  private async input(workspace: string, name: string, type: AssetType, raw: string, modeGiven: ResolvedInput['mode'] | undefined, upload?: { snapshot_id: string; file?: string }): Promise<ResolvedInput> {
    const what = `input '${name}'`;
    const mode = modeGiven ?? 'ro_mount';
    const bad = inputModeProblem(type, mode);
    if (bad) throw new CairnError('ValidationError', `${what}: ${bad}`);
    const path = parseDataPath(raw);
    if ('error' in path) throw new CairnError('ValidationError', `${what}: path ${path.error}`);
    if (path.kind === 'run' && kindOfType(type) !== 'model') throw new CairnError('ValidationError', `${what}: runs:/ paths name MLflow models; use type mlflow_model or custom_model`);
    if (path.kind === 'http') {
      if (type !== 'uri_file' && mode !== 'direct') throw new CairnError('ValidationError', `${what}: an http(s) URL is one file; use type uri_file (or mode direct to pass the URL itself)`);
      const file = decodeURIComponent(new URL(path.url).pathname.split('/').filter(Boolean).pop() ?? '') || 'download';
      return { name, type, mode, url: path.url, uri: path.url, ...(mode === 'direct' ? {} : { file }) };
    }
    if (mode === 'direct') {
      if (path.kind === 'local') throw new CairnError('ValidationError', `${what}: mode direct passes a URI to the job, and a local path has none; use ro_mount or download`);
      if (path.kind === 'datastore' || path.kind === 'job_output' || path.kind === 'run') return { name, type, mode, uri: raw.trim() };
    }
    const c = await this.d.content.resolve(workspace, what, type, path, upload);
    return {
      name,
      type,
      mode,
      snapshot_id: c.snapshot_id,
      ...(c.file ? { file: c.file } : {}),
      uri: mode === 'direct' && c.asset ? `azureml:${c.asset.name}:${c.asset.version}` : c.uri,
      ...(c.asset ? { asset: c.asset } : {}),
    };
  }
}

/** An output's path with Azure's `${{name}}` (the job's name) and `${{output_name}}` filled in. */
export function outputPath(path: string, jobName: string, output: string): string {
  return path.replace(/\$\{\{\s*name\s*\}\}/g, jobName).replace(/\$\{\{\s*output_name\s*\}\}/g, output);
}
