// /api/notifications/… for the signed-in user (both API surfaces: the seeds' `read`,
// `notification_type`, `{id}/mark-read/`; the web client's `unread_only`, `limit`,
// `{id}/mark_as_read/`, its list envelope and preference keys), the WebSocket token and the
// client's security alert.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../http/auth.ts';
import { inOwnScope, inTenant, type ServiceContext } from '../http/context.ts';
import { notFound } from '../http/errors.ts';
import { isId, messageOut } from '../http/fields.ts';
import { pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import { recordSecurityEvent } from '../auth/security-events.ts';
import { getSettings, saveSettings, type SettingsPatch } from './repo.ts';
import * as repo from './repo.ts';
import { dataId, NotificationOut, PreferencesOut, presentNotification, presentPreferences } from './present.ts';
import { orgAdminsOf } from './recipients.ts';
import {
  ListOut, ListQuery, MarkAllBody, MarkReadOut, PreferencesBody, SecurityAlertBody, StatsOut, WsTokenOut, type PreferencesInput,
} from './schemas.ts';
import { notify } from './service.ts';
import { issueWsToken } from './socket-auth.ts';

type Ctx = ServiceContext & { actor: Actor };
const scopeOf = (ctx: Ctx): repo.Scope => ({ userId: ctx.actor.userId, orgId: ctx.orgId });
const idParams = z.object({ id: z.string().max(64) });

/** After commit: the user's other tabs (any process) learn the new unread count. */
function announceUnread(ctx: Ctx, count: number) {
  const { userId } = ctx.actor;
  const orgId = ctx.orgId;
  ctx.afterCommit?.add((app) => app.realtime.publish({ type: 'unread_count', userId, orgId, count }));
}

/**
 * Maps the client's keys onto settings. Where a key has a camelCase alias, the web client's own
 * rule applies: with `desktopNotification` present the camelCase keys win, else snake_case does.
 */
export function preferencesPatch(b: PreferencesInput): SettingsPatch {
  const camel = b.desktopNotification !== undefined;
  const pick = <T>(snake: T | undefined, alias: T | undefined): T | undefined => (camel ? (alias ?? snake) : (snake ?? alias));
  return {
    enable_client_notifications: b.enable_client_notifications,
    enable_deal_notifications: b.enable_deal_notifications,
    enable_user_management_notifications: b.enable_user_management_notifications,
    enable_team_notifications: b.enable_team_notifications,
    enable_project_notifications: b.enable_project_notifications,
    enable_commission_notifications: b.enable_commission_notifications,
    enable_system_notifications: b.enable_system_notifications,
    notification_timeout: pick(b.notification_timeout, b.pushNotificationTimeout),
    email_enabled: pick(b.enable_email_notifications, b.communicationEmails),
    marketing_emails: pick(b.enable_marketing_emails, b.announcementsUpdates),
    sound_enabled: pick(b.enable_sound_notifications, b.allNotificationSounds),
    min_priority: b.min_priority,
    email_min_priority: b.email_min_priority,
    disabled_types: b.disabled_types,
    desktop_notification: pick(b.desktop_notification, b.desktopNotification),
    unread_notification_badge: pick(b.unread_notification_badge, b.unreadNotificationBadge),
  };
}

export async function notificationRoutes(app: AppInstance) {
  const tags = ['notifications'];

  app.get('/api/notifications/', { schema: { tags, querystring: ListQuery, response: { 200: ListOut } } }, async (request) => {
    const q = request.query;
    const page = pageRequest(q, app.config);
    const isRead = q.unread_only ? false : (q.read ?? q.is_read);
    const result = await inTenant(request, (ctx) =>
      repo.listNotifications(ctx.tx, scopeOf(ctx), { isRead, type: q.type || q.notification_type, priority: q.priority, category: q.category || undefined }, {
        limit: page.pageSize,
        offset: page.offset,
      }),
      { readOnly: true },
    );
    const totalPages = Math.max(1, Math.ceil(result.count / page.pageSize));
    const link = (target: number) => {
      const url = new URL(request.url, `${request.protocol}://${request.host}`);
      url.searchParams.set('page', String(target));
      return url.toString().replace(/\?$/, '');
    };
    return {
      results: result.rows.map(presentNotification),
      data: [],
      pagination: { page: page.page, limit: page.pageSize, total: result.count, totalPages },
      next: page.page < totalPages ? link(page.page + 1) : null,
      previous: page.page > 1 ? link(Math.min(page.page - 1, totalPages)) : null,
    };
  });

  for (const url of ['/api/notifications/unread_count/', '/api/notifications/unread-count/']) {
    app.get(url, { schema: { tags, response: { 200: z.object({ unread_count: z.number().int() }) } } }, async (request) => ({
      unread_count: await inTenant(request, (ctx) => repo.unreadCount(ctx.tx, scopeOf(ctx)), { readOnly: true }),
    }));
  }

  app.get('/api/notifications/stats/', { schema: { tags, response: { 200: StatsOut } } }, async (request) => {
    const s = await inTenant(request, (ctx) => repo.stats(ctx.tx, scopeOf(ctx)));
    return {
      total_notifications: s.total,
      unread_count: s.unread,
      read_count: s.total - s.unread,
      by_type: s.byType,
      by_priority: s.byPriority,
      by_category: s.byCategory,
      recent_notifications: s.recent.map(presentNotification),
    };
  });

  for (const url of ['/api/notifications/mark_all_as_read/', '/api/notifications/mark-all-read/']) {
    app.post(url, { schema: { tags, body: MarkAllBody.nullish(), response: { 200: z.object({ message: z.string(), count: z.number().int() }) } } }, async (request) => {
      // An empty (or absent) list means "all unread", as the web client sends it.
      const ids = (request.body?.notification_ids ?? []).map(String);
      const count = await inTenant(request, async (ctx) => {
        const changed = await repo.markRead(ctx.tx, scopeOf(ctx), ids.length ? ids.filter(isId) : 'all');
        if (changed.length) announceUnread(ctx, await repo.unreadCount(ctx.tx, scopeOf(ctx)));
        return changed.length;
      });
      return { message: `${count} notification${count === 1 ? '' : 's'} marked as read.`, count };
    });
  }

  app.get('/api/notifications/:id/', { schema: { tags, params: idParams, response: { 200: NotificationOut } } }, async (request) => {
    const found = isId(request.params.id) ? await inTenant(request, (ctx) => repo.findNotification(ctx.tx, scopeOf(ctx), request.params.id)) : undefined;
    if (!found) throw notFound('Notification not found.');
    return presentNotification(found);
  });

  for (const url of ['/api/notifications/:id/mark_as_read/', '/api/notifications/:id/mark-read/']) {
    app.post(url, { schema: { tags, params: idParams, response: { 200: MarkReadOut } } }, async (request) => {
      const id = request.params.id;
      const after = await inTenant(request, async (ctx) => {
        const scope = scopeOf(ctx);
        if (!isId(id) || !(await repo.findNotification(ctx.tx, scope, id))) throw notFound('Notification not found.');
        if ((await repo.markRead(ctx.tx, scope, [id])).length) announceUnread(ctx, await repo.unreadCount(ctx.tx, scope));
        return (await repo.findNotification(ctx.tx, scope, id))!;
      });
      return { message: 'Notification marked as read.', id: after.id, is_read: after.is_read, read_at: after.read_at ? new Date(after.read_at).toISOString() : null };
    });
  }

  // Preferences: the web client's route and its fallback under /api/auth/users/ (a static path,
  // so it wins over /api/auth/users/{id}/ in the router).
  const readPreferences = async (request: FastifyRequest) =>
    inTenant(request, async (ctx) => presentPreferences(await getSettings(ctx.tx, ctx.actor.userId), ctx.actor.email));
  const writePreferences = async (request: FastifyRequest<{ Body: PreferencesInput }>) =>
    inTenant(request, async (ctx) => presentPreferences(await saveSettings(ctx.tx, ctx.actor.userId, preferencesPatch(request.body)), ctx.actor.email));
  for (const url of ['/api/notifications/preferences/', '/api/auth/users/notification-preferences/']) {
    app.get(url, { schema: { tags, response: { 200: PreferencesOut } } }, readPreferences);
    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({ method, url, schema: { tags, body: PreferencesBody, response: { 200: PreferencesOut } }, handler: writePreferences });
    }
  }

  app.post('/api/notifications/websocket-token/', { schema: { tags, response: { 200: WsTokenOut } } }, async (request) =>
    inTenant(request, (ctx) => issueWsToken(ctx, app.config.wsTokenTtl)),
  );

  // Fire-and-forget from the web client when a password change is blocked: a security event,
  // and a notification to the caller's org admins (at most once a minute per reporter). The
  // organisation is always the caller's own; `org_id` in the body is ignored.
  app.post('/api/notifications/security-alert/', { schema: { tags, body: SecurityAlertBody, response: { 201: messageOut.extend({ notified: z.number().int() }) } } }, async (request, reply) => {
    const b = request.body;
    const notified = await inOwnScope(request, async (ctx) => {
      const severity = ({ low: 'low', medium: 'medium', high: 'high', urgent: 'critical' } as const)[b.priority ?? 'high'];
      await recordSecurityEvent(ctx.tx, ctx.meta, { type: 'security_alert', severity, userId: ctx.actor.userId, orgId: ctx.orgId, email: ctx.actor.email, details: { message: b.message, alert_type: b.type ?? 'security_alert', details: b.details ?? {} } });
      if (!ctx.orgId) return 0;
      const reporter = `${ctx.actor.firstName} ${ctx.actor.lastName}`.trim() || ctx.actor.email;
      const created = await notify(ctx, {
        recipients: await orgAdminsOf(ctx.tx, ctx.orgId),
        type: 'security_alert',
        priority: b.priority ?? 'high',
        title: 'Security alert',
        message: `${reporter} (${ctx.actor.roleName ?? 'no role'}): ${b.message}`,
        data: { reported_by: dataId(ctx.actor.userId), reporter_email: ctx.actor.email, alert_type: b.type ?? 'security_alert', details: b.details ?? {} },
        related: { type: 'user', id: ctx.actor.userId },
        dedupeKey: `security_alert:${ctx.actor.userId}:${Math.floor(Date.now() / 60_000)}`,
      });
      return created.length;
    });
    return reply.code(201).send({ message: 'Security alert recorded.', notified });
  });
}
