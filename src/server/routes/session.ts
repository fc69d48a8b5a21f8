import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API } from '../../protocol/routes.ts';
import { SessionState } from '../../protocol/session.ts';
import { type Authenticator, SESSION_COOKIE, type StudioSessions } from '../auth.ts';
import { parse } from './validate.ts';

const Login = z.object({ token: z.string().min(1, 'give an API token').max(1024) }).strict();

/**
 * Studio sessions: the studio trades an API token for an HttpOnly, SameSite=Strict cookie (a
 * browser cannot put a header on EventSource, images or downloads). A job token never logs in.
 */
export function sessionRoutes(app: FastifyInstance, auth: Authenticator, sessions: StudioSessions): void {
  const state = (loggedIn: boolean): SessionState => ({ auth_required: !auth.open, logged_in: auth.open || loggedIn });

  app.get(`${API}/session`, async (req) => state(req.principal?.kind === 'admin'));

  app.post(`${API}/session`, { bodyLimit: 4096 }, async (req, reply) => {
    const { token } = parse(Login, req.body, 'login');
    if (auth.open) return state(true);
    auth.checkLogin(token);
    const { value, expires } = sessions.issue(token);
    const secure = req.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Expires=${expires.toUTCString()}${secure}`);
    return state(true);
  });

  app.delete(`${API}/session`, async (_req, reply) => {
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return state(false);
  });
}
