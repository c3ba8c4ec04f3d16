// Who opens /ws/notifications/: a single-use `ws_token` (from POST websocket-token/, stored
// hashed, valid WS_TOKEN_TTL_SECONDS) or `token` = an access JWT or a session token, resolved
// exactly as the Authorization header is.
import type { FastifyInstance } from 'fastify';
import { rows, sql } from '../db/database.ts';
import type { Actor } from '../http/auth.ts';
import { toActor } from '../http/auth.ts';
import type { ServiceContext } from '../http/context.ts';
import { findActorBySessionId } from '../auth/actor-repo.ts';
import { hashToken, newOpaqueToken } from '../auth/opaque-tokens.ts';

export async function issueWsToken(ctx: ServiceContext & { actor: Actor }, ttlSeconds: number) {
  const token = newOpaqueToken(32);
  await ctx.tx.execute(sql`DELETE FROM ws_tokens WHERE user_id = ${ctx.actor.userId} AND expires_at < now()`);
  const [row] = await rows<{ expires_at: string | Date }>(
    ctx.tx,
    // The socket follows the organisation of the request that asked for it (X-Organization-Id
    // included); a Super Admin's socket stays platform-wide as before.
    sql`INSERT INTO ws_tokens (token_hash, user_id, session_id, organization_id, expires_at)
        VALUES (${hashToken(token)}, ${ctx.actor.userId}, ${ctx.actor.sessionId}, ${ctx.actor.isSuperuser ? null : ctx.actor.orgId},
          now() + make_interval(secs => ${ttlSeconds}::double precision))
        RETURNING expires_at`,
  );
  return { ws_token: token, expires_in: ttlSeconds, expires_at: new Date(row!.expires_at).toISOString() };
}

/** Consumes a ws_token (it works once) and returns the session's actor if still valid. */
async function actorFromWsToken(app: FastifyInstance, token: string): Promise<Actor | null> {
  if (token.length < 20 || token.length > 200) return null;
  return app.db.system(async (tx) => {
    const [used] = await rows<{ session_id: string; user_id: string; organization_id: string | null }>(
      tx,
      sql`UPDATE ws_tokens SET used_at = now() WHERE token_hash = ${hashToken(token)} AND used_at IS NULL AND expires_at > now()
          RETURNING session_id, user_id, organization_id`,
    );
    if (!used) return null;
    const row = await findActorBySessionId(tx, used.session_id, used.organization_id ?? undefined);
    const actor = row ? toActor(row) : null;
    return actor && actor.userId === used.user_id ? actor : null;
  });
}

export async function authenticateSocket(app: FastifyInstance, query: Record<string, unknown>): Promise<Actor | null> {
  const value = (key: string) => (typeof query[key] === 'string' ? (query[key] as string) : undefined);
  const wsToken = value('ws_token');
  if (wsToken) return actorFromWsToken(app, wsToken);
  const token = value('token');
  if (token) return app.resolveActor(token);
  return null;
}

/** The session behind a socket is still valid (checked again from time to time). */
export async function sessionStillValid(app: FastifyInstance, actor: Actor): Promise<boolean> {
  const orgId = actor.orgId !== actor.sessionOrgId && !actor.isSuperuser && actor.orgId ? actor.orgId : undefined;
  const row = await app.db.system((tx) => findActorBySessionId(tx, actor.sessionId, orgId));
  return !!row && toActor(row) !== null;
}
