import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The data folder when none is given: $CAIRN_HOME, else ~/.cairn (the CLI finds the local server there). */
export function defaultHome(env: NodeJS.ProcessEnv): string {
  return resolve(env.CAIRN_HOME || join(homedir(), '.cairn'));
}

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

/** Written to a temporary name and renamed, so a reader never sees a half-written file. */
export function writeServerFile(dataDir: string, file: ServerFile): void {
  const tmp = `${serverFilePath(dataDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(file));
  renameSync(tmp, serverFilePath(dataDir));
}
