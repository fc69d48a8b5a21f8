import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CairnError } from '../../protocol/errors.ts';

const VERSION = 'v1';

/**
 * Seals credentials (SSH keys, passwords) before they reach the store, with AES-256-GCM under a
 * key that never goes into the database: a stolen database file or PostgreSQL dump alone reveals
 * no secret. The key comes from configuration (teams keep it in their secret manager) or from a
 * 0600 file made beside the data on first use.
 */
export class SecretBox {
  private readonly key: Buffer;

  private constructor(key: Buffer) {
    this.key = key;
  }

  /** `configured`: base64 of 32 bytes (CAIRN_SECRET_KEY); else `keyFile` is read, or created. */
  static open(o: { configured?: string; keyFile: string }): SecretBox {
    if (o.configured) {
      const key = Buffer.from(o.configured, 'base64');
      if (key.length !== 32) throw new Error('CAIRN_SECRET_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
      return new SecretBox(key);
    }
    if (!existsSync(o.keyFile)) {
      mkdirSync(dirname(o.keyFile), { recursive: true });
      try {
        writeFileSync(o.keyFile, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another server made it first
      }
    }
    const key = Buffer.from(readFileSync(o.keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${o.keyFile} does not hold a 32-byte key in base64`);
    return new SecretBox(key);
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  unseal<T>(sealed: string): T {
    const [version, data] = sealed.split(':', 2);
    if (version !== VERSION || !data) throw new CairnError('Internal', 'stored credentials are in an unknown format');
    const raw = Buffer.from(data, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
    } catch {
      throw new CairnError('Internal', 'stored credentials cannot be decrypted: the server runs with a different secret key than the one that sealed them');
    }
  }
}
