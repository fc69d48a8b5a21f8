import type { Command } from 'commander';
import type { CairnClient } from '../sdk/client.ts';
import { connect } from './connect.ts';
import { parseFormat, type Format } from './output.ts';
import { join } from 'node:path';
import { defaultHome } from '../server/server-file.ts';
import type { SnapshotOptions } from '../snapshot/index.ts';

/** What every command gets: its streams, the environment (read here, not deeper) and a client. */
export interface Cli {
  env: NodeJS.ProcessEnv;
  out: (s: string) => void;
  err: (s: string) => void;
  client(cmd: Command): Promise<CairnClient>;
  format(cmd: Command, fallback?: Format): Format;
  /** Stat cache and limits for snapshots of code folders. */
  snapshot: SnapshotOptions;
}

export function makeCli(env: NodeJS.ProcessEnv): Cli {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  return {
    env,
    out: (s) => process.stdout.write(`${s}\n`),
    err,
    client: (cmd) => connect(cmd.optsWithGlobals(), env, err),
    format: (cmd, fallback) => parseFormat(cmd.optsWithGlobals().output, fallback),
    snapshot: {
      cacheDir: join(defaultHome(env), 'cache', 'snapshots'),
      maxBytes: env.CAIRN_SNAPSHOT_MAX_BYTES ? Number(env.CAIRN_SNAPSHOT_MAX_BYTES) : undefined,
      maxFiles: env.CAIRN_SNAPSHOT_MAX_FILES ? Number(env.CAIRN_SNAPSHOT_MAX_FILES) : undefined,
    },
  };
}
