// Notification queries. Every read is scoped to the recipient and to the organisation the
// session acts in (plus platform notifications, which belong to none).
import { escapeLike } from '../db/like.ts';
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../db/database.ts';
import { DEFAULT_SETTINGS, type NotificationRow, type SettingsRow } from './present.ts';
import { activeTemplateSql } from './templates.ts';

export interface Scope {
  userId: string;
  orgId: string | null;
}

/** The columns of a NotificationRow (but the recipient's e-mail), on the table aliased `n`. */
export const COLUMNS = sql`n.id, n.recipient_id, n.organization_id, n.notification_type, n.priority, n.category, n.title, n.message,
    n.data, n.action_url, n.related_object_type, n.related_object_id, n.is_read, n.read_at, n.created_at, n.updated_at`;

const SELECT = sql`SELECT ${COLUMNS}, u.email AS recipient_email FROM notifications n JOIN users u ON u.id = n.recipient_id`;

export function scopeWhere(scope: Scope): SQL {
  return scope.orgId
    ? sql`n.recipient_id = ${scope.userId} AND (n.organization_id IS NULL OR n.organization_id = ${scope.orgId})`
    : sql`n.recipient_id = ${scope.userId}`;
}

export interface ListFilters {
  isRead?: boolean | undefined;
  type?: string | undefined;
  priority?: string | undefined;
  category?: string | undefined;
}

function filterWhere(scope: Scope, f: ListFilters): SQL {
  const where: SQL[] = [scopeWhere(scope)];
  if (f.isRead !== undefined) where.push(sql`n.is_read = ${f.isRead}`);
  // `payment` matches payment_received, payment_verified, …; a full type matches itself.
  if (f.type) where.push(sql`(n.notification_type = ${f.type} OR n.notification_type LIKE ${`${escapeLike(f.type)}\\_%`})`);
  if (f.priority) where.push(sql`n.priority = ${f.priority}`);
  if (f.category) where.push(sql`n.category = ${f.category}`);
  return sql.join(where, sql` AND `);
}

export async function listNotifications(tx: Tx, scope: Scope, f: ListFilters, page: { limit: number; offset: number }) {
  const where = filterWhere(scope, f);
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM notifications n WHERE ${where}`);
  const list = await rows<NotificationRow>(tx, sql`${SELECT} WHERE ${where} ORDER BY n.created_at DESC, n.id DESC LIMIT ${page.limit} OFFSET ${page.offset}`);
  return { count: c?.n ?? 0, rows: list };
}

export async function findNotification(tx: Tx, scope: Scope, id: string): Promise<NotificationRow | undefined> {
  const [row] = await rows<NotificationRow>(tx, sql`${SELECT} WHERE ${scopeWhere(scope)} AND n.id = ${id}`);
  return row;
}

/** Everything created after `since`, read or not (oldest first): what a client that says when it last looked missed. */
export async function missedSince(tx: Tx, scope: Scope, since: Date, limit: number): Promise<NotificationRow[]> {
  const newest = await rows<NotificationRow>(tx, sql`${SELECT} WHERE ${scopeWhere(scope)} AND n.created_at > ${since.toISOString()} ORDER BY n.created_at DESC, n.id DESC LIMIT ${limit}`);
  return newest.reverse();
}

/** Marks the given (or all) unread notifications read; returns the ids that changed. */
export async function markRead(tx: Tx, scope: Scope, ids: string[] | 'all'): Promise<string[]> {
  const only = ids === 'all' ? sql`true` : sql`n.id = ANY(${sql.param(ids)}::bigint[])`;
  const changed = await rows<{ id: string }>(
    tx,
    sql`UPDATE notifications n SET is_read = true, read_at = now() WHERE ${scopeWhere(scope)} AND NOT n.is_read AND ${only} RETURNING n.id`,
  );
  return changed.map((r) => r.id);
}

export async function unreadCount(tx: Tx, scope: Scope): Promise<number> {
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM notifications n WHERE ${scopeWhere(scope)} AND NOT n.is_read`);
  return c?.n ?? 0;
}

export async function stats(tx: Tx, scope: Scope) {
  const where = scopeWhere(scope);
  const groups = await rows<{ dim: string; key: string; total: number; unread: number }>(
    tx,
    sql`SELECT 'type' AS dim, n.notification_type AS key, count(*)::int AS total, count(*) FILTER (WHERE NOT n.is_read)::int AS unread
          FROM notifications n WHERE ${where} GROUP BY n.notification_type
        UNION ALL
        SELECT 'priority', n.priority, count(*)::int, count(*) FILTER (WHERE NOT n.is_read)::int FROM notifications n WHERE ${where} GROUP BY n.priority
        UNION ALL
        SELECT 'category', n.category, count(*)::int, count(*) FILTER (WHERE NOT n.is_read)::int FROM notifications n WHERE ${where} GROUP BY n.category`,
  );
  const recent = await rows<NotificationRow>(tx, sql`${SELECT} WHERE ${where} ORDER BY n.created_at DESC, n.id DESC LIMIT 10`);
  const by = (dim: string) => Object.fromEntries(groups.filter((g) => g.dim === dim).map((g) => [g.key, g.total]));
  const types = groups.filter((g) => g.dim === 'type');
  return {
    total: types.reduce((a, g) => a + g.total, 0),
    unread: types.reduce((a, g) => a + g.unread, 0),
    byType: by('type'),
    byPriority: by('priority'),
    byCategory: by('category'),
    recent,
  };
}

// ---------------------------------------------------------------------------------------------
// Settings

const SETTINGS_COLUMNS = Object.keys(DEFAULT_SETTINGS) as (keyof typeof DEFAULT_SETTINGS)[];

export async function getSettings(tx: Tx, userId: string): Promise<SettingsRow> {
  const [row] = await rows<SettingsRow>(tx, sql`SELECT * FROM notification_settings WHERE user_id = ${userId}`);
  return row ?? { user_id: userId, ...DEFAULT_SETTINGS, created_at: null, updated_at: null };
}

export type SettingsPatch = Partial<typeof DEFAULT_SETTINGS>;

/** Creates the row on first change; only the keys given change. */
export async function saveSettings(tx: Tx, userId: string, patch: SettingsPatch): Promise<SettingsRow> {
  const keys = SETTINGS_COLUMNS.filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return getSettings(tx, userId);
  const value = (k: (typeof keys)[number]) => (k === 'disabled_types' ? sql`${sql.param(patch[k])}::text[]` : sql`${patch[k]}`);
  const [row] = await rows<SettingsRow>(
    tx,
    sql`INSERT INTO notification_settings (user_id, ${sql.join(keys.map((k) => sql.identifier(k)), sql`, `)})
        VALUES (${userId}, ${sql.join(keys.map(value), sql`, `)})
        ON CONFLICT (user_id) DO UPDATE SET ${sql.join(keys.map((k) => sql`${sql.identifier(k)} = EXCLUDED.${sql.identifier(k)}`), sql`, `)}
        RETURNING *`,
  );
  return row!;
}

/** Active recipients with their settings (defaults where they never changed any). */
export interface RecipientRow extends SettingsRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
}

/** A recipient with the template that applies to the notification being sent (null: none). */
export type RecipientWithTemplate = RecipientRow & { template: { title_template: string; message_template: string } | null };

/**
 * Active recipients (ids, or a subquery selecting them) with their settings and the active
 * template for the notification's type, in one statement.
 */
export async function recipientsWithSettings(tx: Tx, who: readonly string[] | SQL, notification: { orgId: string | null; type: string }): Promise<RecipientWithTemplate[]> {
  const ids = Array.isArray(who) ? sql`ANY(${sql.param(who)}::bigint[])` : sql`ANY(ARRAY(${who as SQL}))`;
  const found = await rows<RecipientRow & { has_settings: boolean; tpl_title: string | null; tpl_message: string | null }>(
    tx,
    sql`SELECT u.id, u.email, u.first_name, u.last_name, s.*, (s.user_id IS NOT NULL) AS has_settings,
               tpl.title_template AS tpl_title, tpl.message_template AS tpl_message
        FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id
        LEFT JOIN LATERAL (${activeTemplateSql(notification.orgId, notification.type)}) tpl ON true
        WHERE u.id = ${ids} AND u.is_active`,
  );
  return found.map(({ tpl_title, tpl_message, ...r }) => ({
    ...(r.has_settings ? r : { ...r, ...DEFAULT_SETTINGS, user_id: r.id }),
    template: tpl_title !== null && tpl_message !== null ? { title_template: tpl_title, message_template: tpl_message } : null,
  }));
}
