import type { FastifyInstance } from 'fastify';
import { ParseFileRequest } from '../../protocol/files.ts';
import { API } from '../../protocol/routes.ts';
import { parseClientFile } from '../../sdk/parse-file.ts';
import { BODY_LIMITS } from '../body.ts';
import { parse } from './validate.ts';

/**
 * Job, environment, compute, data and model files read for clients without a YAML parser (the
 * Python SDK), by the CLI's own parsers: the same fields, defaults and one-line errors. Pure: the
 * client describes its files, the server's disk is never looked at (see protocol/files.ts).
 */
export function fileRoutes(app: FastifyInstance): void {
  app.post(`${API}/workspaces/:ws/files/parse`, { bodyLimit: BODY_LIMITS.job }, async (req) => parseClientFile(parse(ParseFileRequest, req.body, 'parse request')));
}
