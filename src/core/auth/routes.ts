// /api/auth/… login steps, tokens, sessions, password change and second factor.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireActor } from '../http/auth.ts';
import { withAfterCommit } from '../http/after-commit.ts';
import { inSystem, requestMeta } from '../http/context.ts';
import { AppError, fieldError } from '../http/errors.ts';
import { idParams, isId, messageOut } from '../http/fields.ts';
import type { AppInstance } from '../http/types.ts';
import { recordAudit } from '../audit/recorder.ts';
import { revokeUserSessions } from '../users/repo.ts';
import { invalidateActors } from './actor-cache.ts';
import type { AuthKit } from './kit.ts';
import { loginWithPassword, setPasswordWithChallenge, verifySecondFactor } from './login.ts';
import { beginTotpEnrolment, confirmTotpEnrolment, disableTotp, mfaStatus, regenerateBackupCodes } from './mfa.ts';
import { assertAcceptablePassword, setPassword } from './password-rules.ts';
import { verifyPassword } from './passwords.ts';
import { rows, sql } from '../db/database.ts';
import { recordSecurityEvent } from './security-events.ts';
import {
  ChangePasswordAnyBody, LoginBody, LoginOut, OtpBody, PasswordBody, PasswordChangeBody, PasswordSetBody, RefreshBody, SecurityEventBody, SessionOut, SwitchOrganizationBody, TotpConfirmBody,
} from './schemas.ts';
import { switchOrganization } from './switch-organization.ts';
import { describeDevice, listActiveSessions, refreshSession, revokeOwnSession, revokeSession } from './sessions.ts';

const iso = (v: string) => new Date(v).toISOString();

export function authRoutes(kit: AuthKit) {
  return async function routes(app: AppInstance) {
    const tags = ['auth'];
    const publicRoute = { auth: 'none' as const };
    // The login counters' Redis connection, if any, ends with the application.
    app.addHook('onClose', async () => kit.counters.close?.());

    // The web client retries a 401 at the admin aliases; all three run the same login.
    for (const url of ['/api/auth/login/', '/api/auth/login/super-admin/', '/api/auth/login/org-admin/']) {
      app.post(url, { config: publicRoute, schema: { tags, security: [], body: LoginBody, response: { 200: LoginOut } } }, async (request) =>
        loginWithPassword(kit, app.db, requestMeta(request), request.body.email, request.body.password),
      );
    }
    for (const url of ['/api/auth/login/verify/', '/api/auth/login/super-admin/verify/', '/api/auth/login/org-admin/verify/', '/api/auth/login/verify-otp/']) {
      app.post(url, { config: publicRoute, schema: { tags, security: [], body: OtpBody, response: { 200: LoginOut } } }, async (request) =>
        verifySecondFactor(kit, app.db, requestMeta(request), request.body),
      );
    }
    for (const url of ['/api/auth/password/set/']) {
      app.post(url, { config: publicRoute, schema: { tags, security: [], body: PasswordSetBody, response: { 200: LoginOut } } }, async (request) =>
        setPasswordWithChallenge(kit, app.db, requestMeta(request), request.body),
      );
    }
    for (const url of ['/api/auth/refresh/', '/api/auth/token/refresh/']) {
      app.post(url, { config: publicRoute, schema: { tags, security: [], body: RefreshBody, response: { 200: z.object({ access: z.string(), refresh: z.string() }) } } }, async (request) => {
        const result = await withAfterCommit(app, request.log, (afterCommit) =>
          app.db.system((tx) => refreshSession(kit, { tx, afterCommit }, requestMeta(request), request.body.refresh)),
        );
        if (result instanceof AppError) throw result;
        return result;
      });
    }

    app.post(
      '/api/auth/switch-organization/',
      { schema: { tags, body: SwitchOrganizationBody, response: { 200: LoginOut } } },
      async (request) => {
        const actor = requireActor(request);
        return inSystem(request, (ctx) => switchOrganization(kit, ctx.tx, ctx.meta, actor, request.body.organization));
      },
    );

    app.post('/api/auth/logout/', { schema: { tags, response: { 200: messageOut } } }, async (request) => {
      await inSystem(request, async (ctx) => {
        const actor = requireActor(request);
        await revokeSession(ctx.tx, actor.sessionId, 'logout');
        invalidateActors(ctx, { kind: 'session', id: actor.sessionId });
        await recordAudit(ctx, { entity: 'session', entityId: actor.sessionId, action: 'logout' });
      });
      return { message: 'Successfully logged out.' };
    });

    /** The signed-in user changes their own password; other sessions end. */
    const changeOwnPassword = async (request: FastifyRequest, current: string, next: string) => {
      const actor = requireActor(request);
      await inSystem(request, async (ctx) => {
        const [u] = await rows<{ password_hash: string | null }>(ctx.tx, sql`SELECT password_hash FROM users WHERE id = ${actor.userId}`);
        if (!u?.password_hash || !(await verifyPassword(u.password_hash, current))) {
          throw fieldError('current_password', 'Current password is incorrect.');
        }
        await assertAcceptablePassword(ctx.tx, next, { userId: actor.userId, email: actor.email, firstName: actor.firstName, lastName: actor.lastName });
        await setPassword(ctx.tx, actor.userId, next, false);
        await revokeUserSessions(ctx.tx, actor.userId, 'password_changed', actor.sessionId);
        invalidateActors(ctx, { kind: 'user', id: actor.userId });
        await recordSecurityEvent(ctx.tx, ctx.meta, { type: 'password_changed', userId: actor.userId, orgId: actor.orgId, email: actor.email });
        await recordAudit(ctx, { entity: 'user', entityId: actor.userId, action: 'password_change' });
      });
      return { message: 'Password changed successfully.' };
    };

    app.post('/api/auth/password/change/', { schema: { tags, body: PasswordChangeBody, response: { 200: messageOut } } }, async (request) =>
      changeOwnPassword(request, request.body.current_password, request.body.new_password),
    );

    // Two callers share this path: the web client's forced change (temporary token, no session)
    // and the seeds' signed-in change ({old_password, new_password} with a Bearer token).
    app.post(
      '/api/auth/change-password',
      { config: { auth: 'optional' }, schema: { tags, security: [], body: ChangePasswordAnyBody, response: { 200: LoginOut } } },
      async (request) => {
        const b = request.body;
        if (b.temporary_token) {
          if (!b.email) throw fieldError('email', 'This field is required.');
          return setPasswordWithChallenge(kit, app.db, requestMeta(request), { email: b.email, new_password: b.new_password, temporary_token: b.temporary_token });
        }
        const current = b.old_password ?? b.current_password;
        if (!request.actor) throw fieldError('temporary_token', 'This field is required.');
        if (!current) throw fieldError('old_password', 'This field is required.');
        if (b.confirm_password !== undefined && b.confirm_password !== b.new_password) throw fieldError('confirm_password', 'The two passwords do not match.');
        return changeOwnPassword(request, current, b.new_password);
      },
    );

    app.get('/api/auth/sessions/', { schema: { tags, response: { 200: z.array(SessionOut) } } }, async (request) => {
      const actor = requireActor(request);
      const sessions = await inSystem(request, (ctx) => listActiveSessions(ctx.tx, actor.userId));
      return sessions.map((s) => ({
        id: s.id,
        device: describeDevice(s.user_agent),
        ip_address: s.ip_address,
        user_agent: s.user_agent,
        created_at: iso(s.created_at),
        createdAt: iso(s.created_at),
        last_activity: iso(s.last_seen_at),
        expires_at: iso(s.expires_at),
        is_current_session: s.id === actor.sessionId,
        organization: s.organization_id,
        organization_name: s.organization_name,
      }));
    });

    app.delete('/api/auth/sessions/:id/', { schema: { tags, params: idParams, response: { 200: messageOut } } }, async (request) => {
      const actor = requireActor(request);
      if (!isId(request.params.id)) throw fieldError('id', 'Session not found.');
      await inSystem(request, async (ctx) => {
        await revokeOwnSession(ctx.tx, actor.userId, request.params.id);
        invalidateActors(ctx, { kind: 'session', id: request.params.id });
        await recordAudit(ctx, { entity: 'session', entityId: request.params.id, action: 'revoke' });
      });
      return { message: 'Session revoked.' };
    });

    // Second factor of the signed-in user.
    const mfaTags = ['two-factor'];
    app.get('/api/auth/mfa/', { schema: { tags: mfaTags, response: { 200: z.object({ totp_enabled: z.boolean(), backup_codes_remaining: z.number() }) } } }, async (request) =>
      inSystem(request, (ctx) => mfaStatus(ctx.tx, requireActor(request).userId)),
    );
    app.post('/api/auth/mfa/totp/setup/', { schema: { tags: mfaTags, response: { 200: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_code: z.string() }) } } }, async (request) =>
      inSystem(request, (ctx) => beginTotpEnrolment(kit, ctx.tx, requireActor(request).userId)),
    );
    app.post('/api/auth/mfa/totp/confirm/', { schema: { tags: mfaTags, body: TotpConfirmBody, response: { 200: z.object({ totp_enabled: z.boolean(), backup_codes: z.array(z.string()) }) } } }, async (request) =>
      inSystem(request, (ctx) => confirmTotpEnrolment(kit, ctx.tx, ctx.meta, requireActor(request).userId, request.body.otp)),
    );
    app.post('/api/auth/mfa/totp/disable/', { schema: { tags: mfaTags, body: PasswordBody, response: { 200: z.object({ totp_enabled: z.boolean() }) } } }, async (request) =>
      inSystem(request, (ctx) => disableTotp(ctx.tx, ctx.meta, requireActor(request).userId, request.body.password)),
    );
    app.post('/api/auth/mfa/backup-codes/', { schema: { tags: mfaTags, body: PasswordBody, response: { 200: z.object({ backup_codes: z.array(z.string()) }) } } }, async (request) =>
      inSystem(request, (ctx) => regenerateBackupCodes(kit, ctx.tx, ctx.meta, requireActor(request).userId, request.body.password)),
    );

    // Security events reported by the web client (blocked password-change attempts).
    app.post('/api/security/events/', { schema: { tags: ['security'], body: SecurityEventBody, response: { 201: z.object({ status: z.string() }) } } }, async (request, reply) => {
      const actor = requireActor(request);
      await inSystem(request, (ctx) =>
        recordSecurityEvent(ctx.tx, ctx.meta, {
          type: `client.${request.body.event_type}`,
          severity: 'medium',
          userId: actor.userId,
          orgId: actor.orgId,
          email: actor.email,
          details: { role: request.body.role ?? null, reported: request.body.details ?? {} },
        }),
      );
      return reply.code(201).send({ status: 'recorded' });
    });
  };
}
