// The notify use case: one row per recipient (respecting each recipient's settings), titles and
// messages rendered from templates, e-mail queued for recipients who want it, and a live push
// after the caller's transaction has committed.
//
// Design: notify() writes only inside the caller's transaction. Live delivery is registered on
// `ctx.afterCommit` (run by inTenant/inSystem once COMMIT succeeded, dropped on rollback), so a
// socket never sees a notification that was rolled back. Contexts without `afterCommit` (demo
// seed, CLI) still persist everything; sockets receive it on their next connect.
import type { FastifyInstance } from 'fastify';
import { rows, sql } from '../db/database.ts';
import type { ServiceContext } from '../http/context.ts';
import type { NotificationRow } from './present.ts';
import { presentNotification, type NotificationItem } from './present.ts';
import { priorityRank, typeDef, type Priority } from './catalog.ts';
import { recipientsWithSettings, type RecipientRow } from './repo.ts';
import type { SQL } from 'drizzle-orm';
import { renderTemplate } from './templates.ts';

export interface NotifyInput {
  /** User ids, or a subquery selecting them; duplicates, inactive users and the acting user are dropped. */
  recipients: readonly string[] | SQL;
  type: string;
  priority?: Priority;
  /** Defaults to the type's category (business, user_management, system, security). */
  category?: string;
  /** May contain {{variables}} from `data`; an active template for the type replaces both. */
  title: string;
  message: string;
  data?: Record<string, unknown>;
  actionUrl?: string | null;
  related?: { type: string; id: string };
  /** Once per recipient and key (e.g. a daily reminder): repeats are silently skipped. */
  dedupeKey?: string;
  /** Also notify the acting user when they are among the recipients. */
  includeActor?: boolean;
  /** Organisation of the rows; defaults to the context's (null: a platform notification). */
  organizationId?: string | null;
}

export interface Delivery {
  in_app: boolean;
  email: boolean;
}

/** What a recipient's settings allow for a notification of this type and priority. */
export function deliveryFor(r: RecipientRow, type: string, priority: Priority): Delivery {
  const def = typeDef(type);
  const security = def.toggle === undefined;
  const wanted = security || (!r.disabled_types.includes(type) && r[def.toggle!] !== false && priorityRank(priority) >= priorityRank(r.min_priority));
  return { in_app: wanted, email: wanted && r.email_enabled && priorityRank(priority) >= priorityRank(r.email_min_priority) };
}

export async function notify(ctx: ServiceContext, input: NotifyInput): Promise<NotificationItem[]> {
  const actorId = ctx.actor?.userId;
  const who = Array.isArray(input.recipients) ? [...new Set(input.recipients)].filter((id) => input.includeActor || id !== actorId) : (input.recipients as SQL);
  if (Array.isArray(who) && !who.length) return [];
  const priority: Priority = input.priority ?? 'medium';
  const orgId = input.organizationId !== undefined ? input.organizationId : ctx.orgId;
  // Recipients, their settings and the organisation's template for the type: one round trip.
  const found = await recipientsWithSettings(ctx.tx, who, { orgId, type: input.type });
  const recipients = found
    .filter((r) => input.includeActor || r.id !== actorId)
    .map((r) => ({ r, d: deliveryFor(r, input.type, priority) }))
    .filter((x) => x.d.in_app);
  if (!recipients.length) return [];

  const template = found[0]?.template ?? undefined;
  const data = input.data ?? {};
  const category = input.category ?? typeDef(input.type).category;
  const values = recipients.map(({ r }) => {
    const vars = { ...data, recipient_name: `${r.first_name} ${r.last_name}`.trim() || r.email, recipient_first_name: r.first_name, recipient_email: r.email };
    const title = renderTemplate(template?.title_template ?? input.title, vars).slice(0, 255) || input.type;
    const message = renderTemplate(template?.message_template ?? input.message, vars);
    return sql`(${r.id}, ${orgId}, ${input.type}, ${priority}, ${category}, ${title}, ${message}, ${JSON.stringify(data)}::jsonb,
      ${input.actionUrl ?? null}, ${input.related?.type ?? null}, ${input.related?.id ?? null}, ${input.dedupeKey ?? null})`;
  });
  // The e-mails are queued by the same statement, for the rows actually inserted (a repeated
  // dedupe key inserts none).
  const mailed = recipients.filter((x) => x.d.email);
  const mails = mailed.length
    ? sql`, mail AS (INSERT INTO email_outbox (organization_id, recipient, subject, body, notification_id)
          SELECT n.organization_id, m.email, n.title, ${emailBodySql}, n.id
          FROM n JOIN (VALUES ${sql.join(mailed.map(({ r }) => sql`(${r.id}::bigint, ${r.email})`), sql`, `)}) AS m(user_id, email) ON m.user_id = n.recipient_id)`
    : sql``;
  const inserted = await rows<NotificationRow>(
    ctx.tx,
    sql`WITH n AS (INSERT INTO notifications (recipient_id, organization_id, notification_type, priority, category, title, message, data,
          action_url, related_object_type, related_object_id, dedupe_key)
        VALUES ${sql.join(values, sql`, `)}
        ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
        RETURNING *)${mails}
        SELECT * FROM n`,
  );
  if (!inserted.length) return [];

  const byId = new Map(recipients.map((x) => [x.r.id, x]));
  const items = inserted.map((n) => presentNotification({ ...n, recipient_email: byId.get(n.recipient_id)?.r.email ?? null }));
  const mailedAny = inserted.some((n) => byId.get(n.recipient_id)?.d.email);
  ctx.afterCommit?.add((app) => publishNotifications(app, items.map((item, i) => ({ item, userId: inserted[i]!.recipient_id, orgId })), mailedAny));
  return items;
}

/** An e-mail's body: the message, the link to open and how to stop such mails (n: the notification row). */
const emailBodySql = sql`n.message || ${'\n'} || CASE WHEN n.action_url <> '' THEN ${'\nOpen: '} || n.action_url || ${'\n'} ELSE '' END
  || ${'\n— PRS notifications. Change what you receive under Settings → Notifications.'}`;

/** After commit: pushes each notification to its recipient's sockets (any process) and wakes the mail runner. */
export async function publishNotifications(app: FastifyInstance, list: { item: NotificationItem; userId: string; orgId: string | null }[], wakeJobs: boolean) {
  if (wakeJobs && app.hasDecorator('jobRunner')) app.jobRunner.wake();
  if (!app.hasDecorator('realtime')) return;
  await Promise.all(list.map(({ item, userId, orgId }) => app.realtime.publish({ type: 'notification', userId, orgId, notification: item })));
}
