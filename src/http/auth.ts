// Authentication of every request and the one permission check used by every route.
// `Authorization: Bearer <x>` and `Token <x>` (keyword in any case) accept either a JWT access
// token or an opaque session token. Routes declare `config: { auth, permission }`.
import type { FastifyRequest } from 'fastify';
import { findActorBySessionId, findActorByTokenHash, touchSession, type ActorRow } from '../modules/auth/actor-repo.ts';
import { looksLikeJwt, type JwtService } from '../modules/auth/jwt.ts';
import { hashToken } from '../modules/auth/opaque-tokens.ts';
import { SUPER_ADMIN_ROLE_NAME } from '../modules/access/catalog.ts';
import { forbidden, unauthorized } from './errors.ts';
import type { AppInstance } from './types.ts';

export interface Actor {
  userId: string;
  sessionId: string;
  email: string;
  firstName: string;
  lastName: string;
  isSuperuser: boolean;
  orgId: string | null;
  orgName: string | null;
  roleId: string | null;
  roleName: string | null;
  permissions: ReadonlySet<string>;
}

export type AuthMode = 'required' | 'optional' | 'none';

export interface RouteAccess {
  /** Default 'required' for /api routes. 'optional' ignores a bad token (login, OTP). */
  auth?: AuthMode;
  /** Permission code(s); any one of them suffices. Super Admins pass. */
  permission?: string | readonly string[];
  /** Only Super Admins. */
  superAdmin?: boolean;
  /** 400s answer the bare DRF field map, without detail/code/message (web-client quirk). */
  plainFieldErrors?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  // Declaration merging needs an interface; RouteAccess supplies the members.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteAccess {}
}

const SEEN_REFRESH_MS = 5 * 60 * 1000;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^(bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match?.[2];
}

export function toActor(row: ActorRow): Actor | null {
  if (row.revoked_at || new Date(row.expires_at).getTime() <= Date.now() || !row.is_active) return null;
  const member = row.organization_id !== null && row.membership_active === true && row.organization_active !== false;
  if (row.organization_id !== null && !member && !row.is_superuser) return null;
  return {
    userId: row.user_id,
    sessionId: row.session_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isSuperuser: row.is_superuser,
    orgId: row.organization_id,
    orgName: row.organization_name,
    roleId: row.role_id,
    roleName: row.role_name ?? (row.is_superuser ? SUPER_ADMIN_ROLE_NAME : null),
    permissions: new Set(member ? (row.permissions ?? []) : []),
  };
}

export function hasPermission(actor: Actor, permission: string | readonly string[]): boolean {
  if (actor.isSuperuser) return true;
  const wanted = typeof permission === 'string' ? [permission] : permission;
  return wanted.some((p) => actor.permissions.has(p));
}

/** The authenticated caller, or a 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized();
  return request.actor;
}

export function requirePermission(request: FastifyRequest, permission: string | readonly string[]): Actor {
  const actor = requireActor(request);
  if (!hasPermission(actor, permission)) throw forbidden();
  return actor;
}

export function registerAuthentication(app: AppInstance, jwt: JwtService) {
  app.decorateRequest('actor', null);

  const resolve = async (token: string): Promise<Actor | null> => {
    let row: ActorRow | undefined;
    if (looksLikeJwt(token)) {
      const claims = await jwt.verify(token, 'access');
      if (!claims) return null;
      row = await app.db.system((tx) => findActorBySessionId(tx, claims.sid));
      if (row && row.user_id !== claims.sub) return null;
    } else {
      if (token.length < 20 || token.length > 200) return null;
      row = await app.db.system((tx) => findActorByTokenHash(tx, hashToken(token)));
    }
    if (!row) return null;
    const actor = toActor(row);
    if (actor && Date.now() - new Date(row.last_seen_at).getTime() > SEEN_REFRESH_MS) {
      // Last-seen is for the sessions list; refreshing it at most every few minutes keeps reads read-only.
      await app.db.system((tx) => touchSession(tx, actor.sessionId));
    }
    return actor;
  };
  app.decorate('resolveActor', resolve); // the WebSocket route authenticates its ?token= the same way

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config ?? {};
    const url = request.routeOptions.url;
    if (!url) return; // unmatched: the 404 handler answers
    const mode: AuthMode = config.auth ?? (url.startsWith('/api/') ? 'required' : 'none');
    if (mode === 'none') return;
    const token = bearer(request);
    if (token) request.actor = await resolve(token);
    if (mode === 'optional') return;
    if (!request.actor) {
      throw token ? unauthorized('Invalid or expired token.', 'authentication_failed') : unauthorized();
    }
    if (config.superAdmin && !request.actor.isSuperuser) throw forbidden();
    if (config.permission && !hasPermission(request.actor, config.permission)) throw forbidden();
  });
}
