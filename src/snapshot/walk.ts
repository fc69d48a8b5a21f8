import { lstatSync, readdirSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { CairnError } from '../protocol/errors.ts';
import { checkRelativePath, linkStaysInside } from '../protocol/paths.ts';
import { comparePaths } from './manifest.ts';
import { chooseRuleFiles, isIgnored, loadFolderRules, type FolderRules } from './ignore-rules.ts';

export interface FileFound {
  path: string;
  st: Stats;
}
export interface LinkFound {
  path: string;
  target: string;
}
export interface WalkResult {
  files: FileFound[];
  links: LinkFound[];
  warnings: string[];
  /** The ignore files that applied inside the code folder. */
  ruleFiles: string[];
}

const IGNORE_NAMES = new Set(['.amlignore', '.cairnignore', '.gitignore']);

function kindOf(st: Stats): string {
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}

function readDir(abs: string, rel: string): Dirent[] {
  try {
    return readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A folder deleted while we walk is simply gone; anything else would silently drop code.
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new CairnError('BadRequest', `cannot read folder '${rel || '.'}' of the code folder: ${(e as Error).message}`);
  }
}

/**
 * Walks the code folder with synchronous calls: on a warm tree the walk is nearly all the time a
 * snapshot takes, that time is in the system calls, and promise forms only add overhead per call.
 * Ignored folders are not entered (git cannot re-include anything below them), and `.git` is
 * never taken at any depth, whether it is a folder or a worktree's `.git` file.
 */
export function walk(root: string, outer: FolderRules[]): WalkResult {
  const files: FileFound[] = [];
  const links: LinkFound[] = [];
  const warnings: string[] = [];
  const ruleFiles: string[] = [];
  const stack: { rel: string; rules: FolderRules[] }[] = [{ rel: '', rules: outer }];

  while (stack.length) {
    const { rel: relDir, rules: parentRules } = stack.pop()!;
    const absDir = relDir ? root + '/' + relDir.slice(0, -1) : root;
    const dirents = readDir(absDir, relDir);

    let present: Set<string> | null = null;
    for (const d of dirents) {
      if (IGNORE_NAMES.has(d.name) && d.isFile()) (present ??= new Set()).add(d.name);
    }
    let rules = parentRules;
    if (present) {
      const names = present;
      const own = loadFolderRules(absDir, chooseRuleFiles((n) => names.has(n)), '', relDir.length, relDir);
      if (own) {
        rules = [own, ...parentRules];
        ruleFiles.push(...own.files);
      }
    }

    for (const d of dirents) {
      const name = d.name;
      if (name === '.git') continue;
      const rel = relDir + name;
      if (d.isDirectory()) {
        const relSlash = rel + '/';
        if (!isIgnored(rules, relSlash)) stack.push({ rel: relSlash, rules });
        continue;
      }
      if (isIgnored(rules, rel)) continue;
      const abs = absDir + '/' + name;
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue; // deleted since readdir
      checkRelativePath(rel, 'code path');
      if (st.isFile()) {
        files.push({ path: rel, st });
      } else if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = readlinkSync(abs);
        } catch {
          continue; // replaced since lstat
        }
        if (!linkStaysInside(rel, target)) {
          warnings.push(`symlink ${rel} points outside the code folder; it is stored as a link and will dangle`);
        }
        links.push({ path: rel, target });
      } else if (st.isDirectory()) {
        // Became a folder between readdir and lstat: take it as the folder it now is.
        if (!isIgnored(rules, rel + '/')) stack.push({ rel: rel + '/', rules });
      } else {
        warnings.push(`skipped ${rel}: a ${kindOf(st)} cannot be part of a snapshot`);
      }
    }
  }
  // Readdir order is the file system's; users should see the same warnings in the same order.
  warnings.sort(comparePaths);
  return { files, links, warnings, ruleFiles };
}
