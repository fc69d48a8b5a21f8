import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { shellQuote as q } from '../../transports/ssh/index.ts';
import { subDir, type SlurmLayout } from './layout.ts';
import type { SbatchRequest } from './sbatch-options.ts';

/**
 * A burst of like jobs goes to Slurm as job arrays: one sbatch (one controller RPC) for up to
 * MaxArraySize-1 jobs instead of one each, which is what lets Cairn submit faster than a loop of
 * sbatch. Jobs are alike when their sbatch options differ only in name, output and folder. Task i
 * of an array runs the batch script of the submission whose folder `arrays/<array>/i` links to,
 * and writes its output there (so through the link, in that submission's folder). Each
 * submission's folder holds an `array` file (`<array name> <task>`), written before sbatch runs,
 * so a submission made just before a crash is found again by its array's name.
 */
export interface ArrayMember {
  name: string;
  request: SbatchRequest;
}

export interface ArrayGroup<T extends ArrayMember> {
  name: string;
  members: T[];
}

/** Submissions in arrays of 2 or more, and the rest one by one; each array at most `maxTasks` long. */
export function planArrays<T extends ArrayMember>(subs: T[], maxTasks: number): { singles: T[]; arrays: ArrayGroup<T>[] } {
  const byOptions = new Map<string, T[]>();
  for (const s of subs) {
    const k = JSON.stringify({ ...s.request, jobName: '', output: '', chdir: '' });
    byOptions.set(k, [...(byOptions.get(k) ?? []), s]);
  }
  const singles: T[] = [];
  const arrays: ArrayGroup<T>[] = [];
  for (const group of byOptions.values()) {
    for (let i = 0; i < group.length; i += Math.max(1, maxTasks)) {
      const chunk = group.slice(i, i + Math.max(1, maxTasks));
      if (chunk.length < 2 || maxTasks < 2) singles.push(...chunk);
      else arrays.push({ name: `cairn-array-${randomUUID()}`, members: chunk });
    }
  }
  return { singles, arrays };
}

export const arrayDir = (l: SlurmLayout, name: string): string => posix.join(l.root, 'arrays', name);

/** The array's sbatch request: the members' options, its own name, output through the task links. */
export function arrayRequest(l: SlurmLayout, g: ArrayGroup<ArrayMember>): SbatchRequest {
  const dir = arrayDir(l, g.name);
  return { ...g.members[0]!.request, jobName: g.name, output: posix.join(dir, '%a', 'slurm-%j.out'), chdir: dir, arrayTasks: g.members.length };
}

/** One shell script that lays out every array's folder: task links, the array markers, the batch script. */
export function arraySetupScript(l: SlurmLayout, groups: ArrayGroup<ArrayMember>[]): string {
  const lines: string[] = [];
  for (const g of groups) {
    const dir = arrayDir(l, g.name);
    lines.push(`mkdir -p ${q(dir)} || exit 1`);
    g.members.forEach((m, i) => {
      const sub = subDir(l, m.name);
      lines.push(`ln -sfn ${q(sub)} ${q(posix.join(dir, String(i)))} && printf '%s %s\\n' ${q(g.name)} ${i} > ${q(posix.join(sub, 'array'))} || exit 1`);
    });
    lines.push(`printf '%s\\n' ${q(arrayBatchScript(dir, g.members.length))} > ${q(posix.join(dir, 'run.sh'))} && chmod 700 ${q(posix.join(dir, 'run.sh'))} || exit 1`);
  }
  return lines.join('\n');
}

function arrayBatchScript(dir: string, tasks: number): string {
  return `#!/bin/sh
# Cairn: ${tasks} jobs as one Slurm job array; task i runs the job whose folder ${dir}/i links to.
cd ${q(dir)}/"$SLURM_ARRAY_TASK_ID" && exec ./job.sh`;
}

/** `<array name> <task>` markers of these submissions (those submitted in an array), from one `cat` per folder. */
export function markersScript(l: SlurmLayout, names: string[]): string {
  return names.map((n) => `[ -f ${q(posix.join(subDir(l, n), 'array'))} ] && printf '%s %s\\n' ${q(n)} "$(cat ${q(posix.join(subDir(l, n), 'array'))})"`).join('\n') + '\ntrue';
}

export function parseMarkers(out: string): Map<string, { array: string; task: number }> {
  const m = new Map<string, { array: string; task: number }>();
  for (const line of out.split('\n')) {
    const [name, array, task] = line.trim().split(/\s+/);
    if (name && array && task && /^\d+$/.test(task)) m.set(name, { array, task: Number(task) });
  }
  return m;
}

/** Removes a submission's task link, and its array's folder once no task link is left. */
export function forgetScript(l: SlurmLayout, name: string): string {
  const marker = posix.join(subDir(l, name), 'array');
  const arrays = posix.join(l.root, 'arrays');
  return `if [ -f ${q(marker)} ]; then set -- $(cat ${q(marker)}); if [ -n "$1" ] && [ -n "$2" ]; then d=${q(arrays)}/"$1"; rm -f "$d/$2"; [ -n "$(ls "$d" | grep -v '^run.sh$')" ] || rm -rf "$d"; fi; fi
rm -rf ${q(subDir(l, name))}`;
}
