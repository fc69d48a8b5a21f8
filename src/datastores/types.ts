import type { Readable } from 'node:stream';
import type { DatastoreSpec } from '../protocol/data.ts';

/**
 * The seam every datastore kind implements (a folder on the server, SFTP, an S3-compatible bucket).
 * Paths are relative to the datastore's root, '/'-separated, never absolute and never with '..';
 * every backend checks that again before touching anything (a path escaping its datastore is refused).
 * A backend passes test/datastores-conformance.test.ts.
 */
export interface DatastoreFile {
  /** Relative to the path that was listed ('' when that path is the file itself). */
  path: string;
  size: number;
  /** Changes whenever the content may have: an ETag, or size + mtime. Lets an import skip unchanged files. */
  stamp: string;
}

export interface DatastoreBackend {
  readonly type: DatastoreSpec['type'];
  /** Fails with a DatastoreError naming the reason when the store cannot be reached or refuses the credentials. */
  probe(): Promise<void>;
  /**
   * The files at `path`: a folder's files, recursively, or the one file it names. A path that does
   * not exist is a DatastoreError with code 'NotFound'. More than maxFiles is a DatastoreError.
   */
  list(path: string, o?: { maxFiles?: number }): Promise<{ isFile: boolean; files: DatastoreFile[] }>;
  /** The bytes of one file. */
  read(path: string): Promise<Readable>;
  /** Writes one file (its folders made as needed), replacing what was there. */
  write(path: string, body: Readable, size: number): Promise<void>;
  close(): Promise<void>;
}

export type DatastoreErrorCode = 'NotFound' | 'Unreachable' | 'Denied' | 'Invalid' | 'TooLarge';

/** One line naming the datastore problem; the server maps codes to 4xx/5xx and job failure reasons. */
export class DatastoreError extends Error {
  readonly code: DatastoreErrorCode;
  constructor(code: DatastoreErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
