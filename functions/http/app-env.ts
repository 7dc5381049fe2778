import type { Principal } from '../../shared/auth/principal';

/** Hono env of the app: requireAuth sets `principal`, hono/request-id sets `requestId`. */
export type AppEnv = { Variables: { principal: Principal; requestId: string } };
