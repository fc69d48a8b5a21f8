import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running server writes into its data folder so the CLI and the local agent can find it. */
export interface ServerFile {
  url: string;
  pid: number;
  data_dir: string;
  db: string;
  started_at: string;
}

export const serverFilePath = (dataDir: string) => join(dataDir, 'server.json');

export function readServerFile(dataDir: string): ServerFile | null {
  try {
    return JSON.parse(readFileSync(serverFilePath(dataDir), 'utf8'));
  } catch {
    return null;
  }
}
