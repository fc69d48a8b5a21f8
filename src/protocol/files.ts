import { z } from 'zod';

/**
 * `POST /api/v1/workspaces/:ws/files/parse`: the server reads a job, environment, component, compute,
 * data or model file for a client that has no YAML parser (the Python SDK), with the very parsers the CLI
 * uses, so every answer and every one-line error is the CLI's. The server never looks at its own
 * disk for this: the client describes its files (`files`), and while the parse meets a path the
 * client has not described yet the answer is `{need: [...]}`; the client stats or reads those and
 * asks again. Paths are absolute paths on the client's machine.
 */
export const FILE_KINDS = ['job', 'environment', 'component', 'compute', 'data', 'model'] as const;

const AbsPath = z.string().min(1).max(4096).refine((p) => p.startsWith('/') && !p.includes('\0'), { error: 'must be an absolute path without NUL' });

/** What the client says of one path: its kind (symlinks followed), and for a file it was asked to read, the text or why not. */
export const FileFact = z.strictObject({
  kind: z.enum(['file', 'dir', 'other', 'missing']),
  text: z.string().max(1024 * 1024).optional(),
  /** errno code of a failed read (ENOENT, EACCES, ...), and its message. */
  error: z.string().max(64).optional(),
  message: z.string().max(1024).optional(),
});
export type FileFact = z.infer<typeof FileFact>;

export const ParseFileRequest = z
  .strictObject({
    kind: z.enum(FILE_KINDS, { error: `kind must be one of ${FILE_KINDS.join(', ')}` }),
    /** The file's absolute path: messages name it, and its paths are relative to its folder. */
    file: AbsPath.optional(),
    /** The file's text (with `file`), or `spec`: the fields as an object, paths relative to `base_dir`. */
    text: z.string().max(4 * 1024 * 1024).optional(),
    spec: z.record(z.string(), z.unknown()).optional(),
    base_dir: AbsPath.optional(),
    /** `a.b=value` overrides, as `--set`. */
    sets: z.array(z.string().max(64 * 1024)).max(1000).optional(),
    /** compute: refuse a type the other verb handles. */
    mode: z.enum(['create', 'attach']).optional(),
    /** The client's home (for `~/` in key paths) and current folder. */
    home: AbsPath.optional(),
    cwd: AbsPath.optional(),
    files: z.record(AbsPath, FileFact).refine((f) => Object.keys(f).length <= 10_000, 'at most 10000 files').optional(),
  })
  .refine((r) => (r.text === undefined) !== (r.spec === undefined), { error: 'give text (with file) or spec, not both' })
  .refine((r) => r.text === undefined || r.file !== undefined, { error: 'text needs file: its absolute path' })
  .refine((r) => r.spec === undefined || r.base_dir !== undefined || r.file !== undefined, { error: 'spec needs base_dir: the folder its paths are relative to' });
export type ParseFileRequest = z.infer<typeof ParseFileRequest>;

/** A path the parse needs described; `read`: its text too. */
export interface FileNeed {
  path: string;
  read: boolean;
}

/**
 * The answer: `need` while paths are undescribed, else what the CLI would have loaded. `spec` is
 * ready to send except for uploads: `code_dir`, `input_paths`, `build_dir` (an environment's build
 * folder, the job's inline one included) and `local_path` (an asset's) are what the client uploads.
 */
export type ParseFileResponse =
  | { need: FileNeed[] }
  | {
      kind: (typeof FILE_KINDS)[number];
      spec: Record<string, unknown>;
      code_dir?: string | null;
      input_paths?: Record<string, string>;
      build_dir?: string | null;
      local_path?: string | null;
      /** A pipeline's steps: each one's code folder and inline environment's build folder, to upload. */
      step_code_dirs?: Record<string, string>;
      step_build_dirs?: Record<string, string>;
    };
