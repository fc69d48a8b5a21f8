import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { isMap } from 'yaml';
import { applySet, parseYamlDocument, readYamlFile } from './yaml-file.ts';
import { CairnError } from '../protocol/errors.ts';
import { CommandJobSpec, UNSUPPORTED_JOB_FIELDS } from '../protocol/job-spec.ts';

export interface LoadedJob {
  spec: CommandJobSpec;
  /** Absolute code folder, or null when the job has no `code`. */
  codeDir: string | null;
}

const KNOWN = new Set(Object.keys(CommandJobSpec.shape));

/**
 * Reads an Azure ML v2 command job file. Every problem is one line naming the file, the line
 * and the field: unknown fields and fields Cairn does not run yet are errors, never ignored.
 */
export function loadJobFile(file: string, sets: string[] = []): LoadedJob {
  return parseJobYaml(readYamlFile(file, 'job'), file, sets);
}

export function parseJobYaml(text: string, file: string, sets: string[] = []): LoadedJob {
  const { doc, lines: lc } = parseYamlDocument(text, file);
  for (const s of sets) applySet(doc, s);
  if (!isMap(doc.contents)) throw new CairnError('ValidationError', `${file}: a job file must be a YAML mapping of fields`);
  const lineOf = (path: (string | number)[]) => {
    for (let p = path; p.length; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      const pair = p.length ? (doc.getIn(p.slice(0, -1), true) as any)?.items?.find?.((i: any) => i?.key?.value === p[p.length - 1]) : undefined;
      const at = pair?.key?.range?.[0] ?? node?.range?.[0];
      if (at !== undefined) return lc.linePos(at).line;
    }
    return 1;
  };
  const raw = doc.toJS() as Record<string, unknown>;
  if (raw.type !== undefined && raw.type !== 'command') {
    const why = raw.type === 'sweep' || raw.type === 'pipeline' ? `${raw.type} jobs are not supported yet` : `unknown job type '${String(raw.type)}' (expected command)`;
    throw new CairnError('ValidationError', `${file} line ${lineOf(['type'])}: ${why}`);
  }
  for (const key of Object.keys(raw)) {
    if (KNOWN.has(key)) continue;
    const why = UNSUPPORTED_JOB_FIELDS[key];
    throw new CairnError('ValidationError', why ? `${file} line ${lineOf([key])}: field '${key}' is not supported yet: ${why}` : `${file} line ${lineOf([key])}: unknown field '${key}' for a command job`);
  }
  const parsed = CommandJobSpec.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const path = i.path as (string | number)[];
    if (i.code === 'unrecognized_keys') {
      const key = i.keys[0];
      throw new CairnError('ValidationError', `${file} line ${lineOf([...path, key])}: unknown field '${[...path, key].join('.')}'`);
    }
    const where = path.length ? `field '${path.join('.')}'` : 'job';
    throw new CairnError('ValidationError', `${file} line ${lineOf(path)}: ${where} ${i.message.replace(/^Invalid input: /, 'invalid: ')}`);
  }
  const spec = parsed.data;
  if (spec.compute) spec.compute = spec.compute.replace(/^azureml:/, '');
  if (typeof spec.environment === 'string') spec.environment = spec.environment.replace(/^azureml:/, '');
  let codeDir: string | null = null;
  if (spec.code) {
    codeDir = resolve(dirname(resolve(file)), spec.code);
    if (!existsSync(codeDir)) throw new CairnError('ValidationError', `${file} line ${lineOf(['code'])}: code folder '${spec.code}' does not exist (looked in ${codeDir})`);
    if (!statSync(codeDir).isDirectory()) throw new CairnError('ValidationError', `${file} line ${lineOf(['code'])}: code '${spec.code}' is not a folder`);
  }
  return { spec, codeDir };
}

/** `--set a.b=value`, as `az ml job create --set`: the value is read as YAML (numbers, booleans). */
export const codeFolderName = (codeDir: string) => basename(codeDir);
