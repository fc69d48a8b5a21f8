import { z } from 'zod';

/** What the studio learns of its session: whether the server needs a token, and whether it has one. */
export const SessionState = z.object({ auth_required: z.boolean(), logged_in: z.boolean() });
export type SessionState = z.infer<typeof SessionState>;
