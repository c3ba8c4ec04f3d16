// Sessions: one row per login carrying the opaque token (hashed) and the JWT refresh family.
// Refresh tokens rotate; presenting a used one revokes the whole session (reuse detection),
// except within a short grace window after its rotation, which answers the same new pair.
import { rows, sql, type Tx } from '../db/database.ts';
import type { AfterCommit } from '../http/after-commit.ts';
import type { RequestMeta } from '../http/context.ts';
import { type AppError, notFound, unauthorized } from '../http/errors.ts';
import { recordAudit } from '../audit/recorder.ts';
import { findUser } from '../users/repo.ts';
import { presentUser, userType } from '../users/present.ts';
import { invalidateActors } from './actor-cache.ts';
import type { AuthKit } from './kit.ts';
import { hashToken, newSessionToken } from './opaque-tokens.ts';
import { recordSecurityEvent } from './security-events.ts';

export interface IssuedSession {
  access: string;
  refresh: string;
  token: string;
  user: ReturnType<typeof presentUser>;
  user_activity: { login_count: number; last_login: string | null; current_streak: number };
  requires_otp: false;
  requires_password_change: false;
  temporary_token: null;
  user_type: string;
}

/** A refresh token's row; its id is the token's `jti`. */
async function issueRefreshToken(tx: Tx, sessionId: string, ttlSeconds: number): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO refresh_tokens (session_id, expires_at) VALUES (${sessionId}, now() + make_interval(secs => ${ttlSeconds})) RETURNING id`,
  );
  return row!.id;
}

/**
 * Opens a session for a user who has passed every login step, or (`switchedFrom`) a session in
 * another of their organisations for someone already signed in: not a login, so no login counters.
 */
export async function openSession(
  kit: AuthKit, tx: Tx, meta: RequestMeta, userId: string, orgId: string | null, switchedFrom?: { sessionId: string; orgId: string | null },
): Promise<IssuedSession> {
  const token = newSessionToken();
  const [session] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO auth_sessions (user_id, organization_id, token_hash, ip_address, user_agent, expires_at)
        VALUES (${userId}, ${orgId}, ${hashToken(token)}, ${meta.ip}, ${meta.userAgent}, now() + make_interval(secs => ${kit.settings.sessionTtlSeconds}))
        RETURNING id`,
  );
  const refreshId = await issueRefreshToken(tx, session!.id, kit.settings.refreshTtlSeconds);
  if (switchedFrom) {
    await tx.execute(sql`UPDATE users SET last_organization_id = ${orgId} WHERE id = ${userId}`);
  } else {
    await tx.execute(sql`UPDATE users SET last_login = now(), login_count = login_count + 1, failed_login_count = 0, locked_until = NULL,
      last_organization_id = COALESCE(${orgId}::bigint, last_organization_id) WHERE id = ${userId}`);
  }
  const user = (await findUser(tx, userId, orgId))!;
  if (switchedFrom) {
    const details = { from: switchedFrom.orgId, to: orgId, from_session: switchedFrom.sessionId, session: session!.id };
    await recordSecurityEvent(tx, meta, { type: 'organization_switched', userId, orgId, email: user.email, details });
    // In both organisations' audit logs: the one left and the one entered.
    for (const org of new Set([switchedFrom.orgId, orgId])) {
      await recordAudit({ tx, meta, orgId: org, actor: null }, { entity: 'session', entityId: session!.id, action: 'switch_organization', actorId: userId, newValues: { from: switchedFrom.orgId, to: orgId } });
    }
  } else {
    await recordSecurityEvent(tx, meta, { type: 'login_success', userId, orgId, email: user.email });
    await recordAudit({ tx, meta, orgId, actor: null }, { entity: 'session', entityId: session!.id, action: 'login', actorId: userId });
  }
  const [access, refresh] = await Promise.all([
    kit.jwt.sign('access', userId, session!.id, orgId),
    kit.jwt.sign('refresh', userId, session!.id, orgId, refreshId),
  ]);
  return {
    access,
    refresh,
    token,
    user: presentUser(user),
    requires_otp: false,
    requires_password_change: false,
    temporary_token: null,
    user_type: userType(user),
    user_activity: { login_count: user.login_count, last_login: user.last_login ? new Date(user.last_login).toISOString() : null, current_streak: 0 },
  };
}

export interface RefreshedPair {
  access: string;
  refresh: string;
}

/**
 * Rotates a refresh token. The same token presented again within the grace window answers the
 * pair its rotation issued; later reuse revokes the session; that revocation must be committed, so the
 * error is returned (the caller throws it after the transaction) rather than thrown here.
 */
export async function refreshSession(
  kit: AuthKit,
  { tx, afterCommit }: { tx: Tx; afterCommit: AfterCommit },
  meta: RequestMeta,
  refreshToken: string,
): Promise<RefreshedPair | AppError> {
  const claims = await kit.jwt.verify(refreshToken, 'refresh');
  if (!claims) throw unauthorized('Invalid or expired refresh token.', 'token_not_valid');
  // The row lock makes concurrent refreshes of one token wait for the first, and then read the
  // pair it committed (READ COMMITTED re-reads the locked row).
  const [current] = await rows<{ used_at: string | null; in_grace: boolean; replacement: string | null; revoked_at: string | null; expired: boolean; user_active: boolean; organization_id: string | null; member: boolean }>(
    tx,
    sql`SELECT t.used_at, t.used_at > clock_timestamp() - make_interval(secs => ${kit.settings.refreshGraceSeconds}) AS in_grace, t.replacement,
          s.revoked_at, (s.expires_at <= now() OR t.expires_at <= now()) AS expired, u.is_active AS user_active, s.organization_id,
          -- The session's membership must still be active (a session without an organisation has none).
          (s.organization_id IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = s.user_id
             AND m.organization_id = s.organization_id AND m.is_active AND m.status = 'active')) AS member
        FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
        WHERE t.id = ${claims.jti} AND t.session_id = ${claims.sid}
        FOR UPDATE OF t`,
  );
  if (!current || current.revoked_at || current.expired || !current.user_active || !current.member || (claims.org !== undefined && claims.org !== current.organization_id)) {
    throw unauthorized('Invalid or expired refresh token.', 'token_not_valid');
  }
  if (current.used_at) {
    // Just rotated (another tab, a retried request): the same pair again, not a theft.
    if (current.in_grace && current.replacement) return JSON.parse(kit.secretBox.open(current.replacement)) as RefreshedPair;
    await revokeSession(tx, claims.sid, 'refresh_token_reuse');
    invalidateActors({ afterCommit }, { kind: 'session', id: claims.sid });
    await recordSecurityEvent(tx, meta, { type: 'refresh_token_reuse', severity: 'high', userId: claims.sub, orgId: current.organization_id });
    return unauthorized('Refresh token was already used; the session has been revoked.', 'token_reused');
  }
  const nextId = await issueRefreshToken(tx, claims.sid, kit.settings.refreshTtlSeconds);
  const [access, refresh] = await Promise.all([
    kit.jwt.sign('access', claims.sub, claims.sid, current.organization_id),
    kit.jwt.sign('refresh', claims.sub, claims.sid, current.organization_id, nextId),
  ]);
  const pair: RefreshedPair = { access, refresh };
  await tx.execute(sql`UPDATE refresh_tokens SET used_at = clock_timestamp(), replacement = ${kit.secretBox.seal(JSON.stringify(pair))} WHERE id = ${claims.jti}`);
  // Earlier rotations of the session whose window has passed need their pair no more.
  await tx.execute(sql`UPDATE refresh_tokens SET replacement = NULL WHERE session_id = ${claims.sid} AND replacement IS NOT NULL
    AND used_at <= clock_timestamp() - make_interval(secs => ${kit.settings.refreshGraceSeconds})`);
  return pair;
}

export async function revokeSession(tx: Tx, sessionId: string, reason: string) {
  await tx.execute(sql`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = ${reason} WHERE id = ${sessionId} AND revoked_at IS NULL`);
}

export interface SessionRow {
  id: string;
  ip_address: string;
  user_agent: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  organization_id: string | null;
  organization_name: string | null;
}

export function listActiveSessions(tx: Tx, userId: string): Promise<SessionRow[]> {
  return rows<SessionRow>(
    tx,
    sql`SELECT s.id, s.ip_address, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, s.organization_id, o.name AS organization_name
        FROM auth_sessions s LEFT JOIN organizations o ON o.id = s.organization_id
        WHERE s.user_id = ${userId} AND s.revoked_at IS NULL AND s.expires_at > now() ORDER BY s.last_seen_at DESC`,
  );
}

export async function revokeOwnSession(tx: Tx, userId: string, sessionId: string) {
  const revoked = await rows(
    tx,
    sql`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
        WHERE id = ${sessionId} AND user_id = ${userId} AND revoked_at IS NULL RETURNING id`,
  );
  if (!revoked.length) throw notFound('Session not found.');
}

/** A readable device description from a user agent, as the sessions screen shows it. */
export function describeDevice(userAgent: string): { browser: string; os: string; device: string } {
  const ua = userAgent || '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : ua ? 'Other' : 'Unknown';
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad|iOS/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'Unknown';
  const device = /Mobile|Android|iPhone/.test(ua) ? 'Mobile' : /iPad|Tablet/.test(ua) ? 'Tablet' : 'Desktop';
  return { browser, os, device };
}
