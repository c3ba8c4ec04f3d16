// Authentication of every request and the one permission check used by every route.
// `Authorization: Bearer <x>` and `Token <x>` (keyword in any case) accept either a JWT access
// token or an opaque session token. Routes declare `config: { auth, permission }`.
// Resolved actors are cached per process (src/core/auth/actor-cache.ts) with explicit
// invalidation; AUTH_CACHE_TTL_MS=0 reads the session on every request.
import type { FastifyRequest } from 'fastify';
import { ActorCache, type CachedActor } from '../auth/actor-cache.ts';
import type { RedisActorInvalidations } from '../auth/actor-cache-redis.ts';
import { findActorBySessionId, findActorByTokenHash, touchSession, type ActorRow } from '../auth/actor-repo.ts';
import { looksLikeJwt, type JwtService } from '../auth/jwt.ts';
import { hashToken } from '../auth/opaque-tokens.ts';
import { SUPER_ADMIN_ROLE_NAME } from '../access/catalog.ts';
import { forbidden, notFound, unauthorized } from './errors.ts';
import { isId } from './fields.ts';
import type { AppInstance } from './types.ts';
import type { Actor, AuthMode } from '../auth/actor.ts';

export type { Actor, AuthMode } from '../auth/actor.ts';

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
  interface FastifyInstance {
    /** The actor's session acting in another of the person's organisations, or null without an active membership there. */
    actorInOrganisation(actor: Actor, orgId: string): Promise<Actor | null>;
  }
  // Declaration merging needs an interface; RouteAccess supplies the members.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteAccess {}
}

/** Names the organisation a request acts in (members: one of theirs; Super Admins: any). */
export const ORGANIZATION_HEADER = 'x-organization-id';

const SEEN_REFRESH_MS = 5 * 60 * 1000;
/** About 1 KB per entry; beyond it the least recently used sessions are read again. */
const ACTOR_CACHE_ENTRIES = 10_000;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^(bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match?.[2];
}

export function toActor(row: ActorRow): Actor | null {
  if (row.revoked_at || new Date(row.expires_at).getTime() <= Date.now() || !row.is_active) return null;
  const member = row.organization_id !== null && row.membership_active === true && row.membership_status === 'active' && row.organization_active !== false;
  // A session issued for an organisation that no longer exists has organization_id NULL here.
  if ((row.session_organization_id !== null || row.organization_id !== null) && !member && !row.is_superuser) return null;
  return {
    userId: row.user_id,
    sessionId: row.session_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isSuperuser: row.is_superuser,
    orgId: row.organization_id,
    orgName: row.organization_name,
    sessionOrgId: row.session_organization_id,
    membershipRole: member ? row.membership_role : null,
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
  const warn = (message: string) => (err: Error) => app.log.warn({ err: { message: err.message } }, message);
  const cache = new ActorCache({ ttlMs: app.config.authCacheTtlMs, maxEntries: ACTOR_CACHE_ENTRIES, onError: warn('actor cache invalidation not published') });
  app.decorate('actorCache', cache);
  if (app.config.redisUrl && cache.enabled) {
    const url = app.config.redisUrl;
    let bus: RedisActorInvalidations | undefined;
    // Subscribed before the app is ready when Redis answers; until then the cache stays unused.
    app.addHook('onReady', async () => {
      // Loaded only with Redis configured: ioredis stays out of processes that do not use it.
      const { RedisActorInvalidations: Invalidations } = await import('../auth/actor-cache-redis.ts');
      bus = await Invalidations.connect(url, {
        onScope: (scope) => cache.drop(scope),
        onListening: (listening) => cache.setListening(listening),
        onError: warn('redis error (actor cache)'),
      });
      cache.setPublisher((scope) => bus!.publish(scope));
    });
    app.addHook('onClose', async () => {
      cache.setPublisher(undefined);
      await bus?.close();
    });
  }

  /** Reads the session; caches the actor under `key` unless an invalidation happened meanwhile. */
  const load = async (key: string, read: () => Promise<ActorRow | undefined>, userId?: string): Promise<Actor | null> => {
    const mark = cache.mark();
    const row = await read();
    if (!row || (userId !== undefined && row.user_id !== userId)) return null;
    const actor = toActor(row);
    if (!actor) return null;
    const entry = { actor, expiresAt: new Date(row.expires_at).getTime(), lastSeenAt: new Date(row.last_seen_at).getTime() };
    await touchIfDue(entry);
    cache.set(key, mark, entry);
    return actor;
  };

  const touchIfDue = async (entry: CachedActor) => {
    if (Date.now() - entry.lastSeenAt <= SEEN_REFRESH_MS) return;
    // Last-seen is for the sessions list; refreshing it at most every few minutes keeps reads read-only.
    entry.lastSeenAt = Date.now();
    await app.db.system((tx) => touchSession(tx, entry.actor.sessionId));
  };

  const resolve = async (token: string): Promise<Actor | null> => {
    let key: string;
    let read: () => Promise<ActorRow | undefined>;
    let userId: string | undefined;
    let tokenOrg: string | undefined;
    if (looksLikeJwt(token)) {
      const claims = await jwt.verify(token, 'access');
      if (!claims) return null;
      key = `sid:${claims.sid}`;
      userId = claims.sub;
      tokenOrg = claims.org;
      read = () => app.db.system((tx) => findActorBySessionId(tx, claims.sid));
    } else {
      if (token.length < 20 || token.length > 200) return null;
      const tokenHash = hashToken(token);
      key = `tok:${tokenHash}`;
      read = () => app.db.system((tx) => findActorByTokenHash(tx, tokenHash));
    }
    const actor = await cachedOrLoad(key, read, userId);
    // A token acts only in the organisation it was issued for (tokens from before the claim have none).
    return actor && tokenOrg !== undefined && tokenOrg !== actor.sessionOrgId ? null : actor;
  };

  const cachedOrLoad = async (key: string, read: () => Promise<ActorRow | undefined>, userId?: string): Promise<Actor | null> => {
    const cached = cache.get(key);
    if (!cached) return load(key, read, userId);
    if (userId !== undefined && cached.actor.userId !== userId) return null;
    if (cached.expiresAt <= Date.now()) {
      cache.delete(key);
      return null;
    }
    await touchIfDue(cached);
    return cached.actor;
  };
  app.decorate('resolveActor', resolve); // the WebSocket route authenticates its ?token= the same way

  /**
   * The same session acting in another of the person's organisations (X-Organization-Id): an
   * active, accepted membership there, or null. Cached beside the session's own entry.
   */
  const inOrganisation = async (actor: Actor, orgId: string): Promise<Actor | null> => {
    if (orgId === actor.orgId) return actor;
    return cachedOrLoad(`sid:${actor.sessionId}@${orgId}`, () => app.db.system((tx) => findActorBySessionId(tx, actor.sessionId, orgId)), actor.userId);
  };
  app.decorate('actorInOrganisation', inOrganisation); // the WebSocket token follows the organisation too

  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions; // a getter that builds a new object on every read
    const config = route.config ?? {};
    const url = route.url;
    if (!url) return; // unmatched: the 404 handler answers
    const mode: AuthMode = config.auth ?? (url.startsWith('/api/') ? 'required' : 'none');
    if (mode === 'none') return;
    const token = bearer(request);
    if (token) request.actor = await resolve(token);
    if (mode === 'optional') return;
    if (!request.actor) {
      throw token ? unauthorized('Invalid or expired token.', 'authentication_failed') : unauthorized();
    }
    // A member names another of their organisations per request; Super Admins keep the
    // platform-wide meaning of the header (namedOrganisation, audited as organisation access).
    const named = request.headers[ORGANIZATION_HEADER];
    if (typeof named === 'string' && named.trim() && !request.actor.isSuperuser) {
      const orgId = named.trim();
      const actor = isId(orgId) ? await inOrganisation(request.actor, orgId) : null;
      if (!actor) throw notFound('Organisation not found.');
      request.actor = actor;
    }
    if (config.superAdmin && !request.actor.isSuperuser) throw forbidden();
    if (config.permission && !hasPermission(request.actor, config.permission)) throw forbidden();
  });
}
