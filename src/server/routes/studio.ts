import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CairnError } from '../../protocol/errors.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const API_PREFIXES = ['/api/', '/ajax-api/'];

/** An API URL: `/*` matching one means no API route did (the app treats it as unmatched). */
export const isApiPath = (url: string): boolean => API_PREFIXES.some((p) => url.startsWith(p));

/**
 * The built studio (`dist/studio`, made by `npm run build`, which `npm ci` runs): files under
 * /assets are content-hashed and cached for good; every other path that is not an API route is a
 * page of the studio, answered with index.html so deep links survive a reload.
 */
export function studioRoutes(app: FastifyInstance, dir: string): void {
  const index = join(dir, 'index.html');
  const page = async (_req: unknown, reply: FastifyReply) => {
    if (!existsSync(index)) {
      throw new CairnError('NotBuilt', `the studio is not built on this server (no ${index}): run \`npm run build\` in Cairn's folder`);
    }
    return send(reply, index, 'no-cache');
  };
  app.get('/', page);
  app.get('/*', async (req, reply) => {
    const path = decodeURIComponent(req.url.split('?')[0]!);
    // An API URL that no route matched: the app's one not-found answer (authenticated first, in onRequest).
    if (isApiPath(path)) return reply.callNotFound();
    const file = normalize(join(dir, path));
    if (file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile()) {
      return send(reply, file, path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    if (path.startsWith('/assets/')) throw new CairnError('NotFound', `no studio file ${path}`);
    return page(req, reply);
  });
}

function send(reply: FastifyReply, file: string, cache: string): FastifyReply {
  return reply
    .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
    .header('cache-control', cache)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
    .send(createReadStream(file));
}
