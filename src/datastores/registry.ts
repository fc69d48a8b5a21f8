// Which backend serves which datastore kind: a new kind adds its own file and one line here.
import type { DatastoreSpec } from '../protocol/data.ts';
import { LocalFolderDatastore } from './local-folder.ts';
import { S3Datastore } from './s3.ts';
import { SftpDatastore } from './sftp.ts';
import type { DatastoreBackend } from './types.ts';

type Openers = { [K in DatastoreSpec['type']]: (spec: Extract<DatastoreSpec, { type: K }>) => DatastoreBackend };

const OPENERS: Openers = {
  local_folder: (spec) => new LocalFolderDatastore(spec),
  sftp: (spec) => new SftpDatastore(spec),
  s3: (spec) => new S3Datastore(spec),
};

/** A backend for the spec; nothing is contacted until its first call (probe, list...). */
export function openDatastore(spec: DatastoreSpec): DatastoreBackend {
  return (OPENERS[spec.type] as (spec: DatastoreSpec) => DatastoreBackend)(spec);
}
