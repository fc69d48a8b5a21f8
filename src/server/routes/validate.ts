import { ZodError, type z } from 'zod';
import { CairnError } from '../../protocol/errors.ts';

/** Parses with a protocol schema; the first problem becomes a one-line message naming the field. */
export function parse<T extends z.ZodType>(schema: T, data: unknown, what = 'request'): z.infer<T> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const where = i.path.length ? i.path.join('.') : what;
  throw new CairnError('ValidationError', `${where}: ${i.message}`, { issues: r.error.issues.slice(0, 20) });
}

/** Runs a protocol fast-path parser; its zod errors become the same one-line 400 as parse(). */
export function parseOr400<T>(fn: (data: unknown) => T, data: unknown): T {
  try {
    return fn(data);
  } catch (err) {
    if (err instanceof ZodError) {
      const i = err.issues[0];
      throw new CairnError('ValidationError', `${i.path.length ? i.path.join('.') : 'request'}: ${i.message}`, { issues: err.issues.slice(0, 20) });
    }
    throw err;
  }
}
