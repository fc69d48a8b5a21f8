import { createHash } from 'node:crypto';
import type { JobData } from '../../protocol/data.ts';
import type { ResolvedEnvironment } from '../../protocol/environment.ts';
import { isDataInput, type CommandJobSpec } from '../../protocol/job-spec.ts';

/**
 * What makes two step jobs the same run, hashed: the command as it runs (literal inputs filled
 * in), the code snapshot, the environment as resolved (a registered one by its version and
 * content), every data input by its content (snapshot) or URI, the outputs it declares (paths as
 * written, before `${{name}}` is filled in) and the settings that change what it computes.
 * Compute, name and time are left out: the same work on another compute is the same work.
 */
export function reuseKeyOf(o: { command: string; snapshot_id: string | null; environment: ResolvedEnvironment; data: JobData; spec: CommandJobSpec }): string {
  const literals = Object.entries(o.spec.inputs ?? {})
    .filter(([, v]) => !isDataInput(v))
    .sort(([a], [b]) => a.localeCompare(b));
  const inputs = o.data.inputs.map((i) => [i.name, i.type, i.mode, i.snapshot_id ?? null, i.file ?? null, i.snapshot_id ? null : i.uri]).sort();
  const material = {
    v: 1,
    command: o.command,
    code: o.snapshot_id,
    environment: o.environment,
    literals,
    inputs,
    // A path as written: `azureml/${{name}}/...` names each run's own folder, and is the same work.
    outputs: o.data.outputs.map((out) => (out.path ? { ...out, path: o.spec.outputs?.[out.name]?.path ?? out.path } : out)),
    env: Object.entries(o.spec.environment_variables ?? {}).sort(),
    python_path: o.spec.python_path ?? null,
    resources: o.spec.resources ?? null,
    distribution: o.spec.distribution ?? null,
  };
  return createHash('sha256').update(JSON.stringify(material)).digest('hex');
}
