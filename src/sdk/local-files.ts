import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';

export type FileKind = 'file' | 'dir' | 'other';

/**
 * What the file parsers (job, environment, compute files) ask of the machine the files are on:
 * whether a path is a file or a folder, the text of a conda or key file, the home and current
 * folders. The CLI answers from its own disk; the server's parse route (for clients without a
 * YAML parser, the Python SDK) answers from facts the client sent, never from the server's disk.
 */
export interface LocalFiles {
  /**
   * The kind of `path` (symlinks followed), or null when nothing is there. `expect` is what the
   * caller hopes for: a view that has not been told about the path yet answers it (and notes the
   * path as needed), so that one round with the client finds every path a file names.
   */
  kind(path: string, expect: FileKind): FileKind | null;
  /** UTF-8 text; a failure is an Error with the errno `code` (ENOENT, EACCES, ...). */
  readText(path: string): string;
  home(): string;
  cwd(): string;
}

/** The CLI's own machine. */
export const diskFiles: LocalFiles = {
  kind(path) {
    let st;
    try {
      st = statSync(path);
    } catch {
      return null; // as existsSync: any failure to stat (ENOENT, ENOTDIR, EACCES) is "not there"
    }
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  },
  readText: (path) => readFileSync(path, 'utf8'),
  home: () => homedir(),
  cwd: () => process.cwd(),
};
