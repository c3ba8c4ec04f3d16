// Request and response schemas of the notification routes.
import { z } from 'zod';
import { nonEmpty, queryBool, wireId } from '../http/fields.ts';
import { pageQueryFields } from '../http/pagination.ts';
import { PRIORITIES, TYPE_RE } from './catalog.ts';
import { NotificationOut } from './present.ts';

export const ListQuery = z.object({
  ...pageQueryFields,
  unread_only: queryBool.optional(),
  read: queryBool.optional(),
  is_read: queryBool.optional(),
  type: z.string().trim().max(64).optional(),
  notification_type: z.string().trim().max(64).optional(),
  priority: z.enum(PRIORITIES).optional(),
  category: z.string().trim().max(64).optional(),
});

/** The web client's list: items under `results`, NO `count` and NO `success` (see the contract notes). */
export const ListOut = z.object({
  results: z.array(NotificationOut),
  data: z.array(z.unknown()),
  pagination: z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), totalPages: z.number().int() }),
  next: z.string().nullable(),
  previous: z.string().nullable(),
});

export const MarkAllBody = z
  .object({ notification_ids: z.array(z.union([z.string().max(64), z.number()])).max(1000).optional() })
  .strict();

export const MarkReadOut = z.object({ message: z.string(), id: wireId, is_read: z.boolean(), read_at: z.string().nullable() });

export const StatsOut = z.object({
  total_notifications: z.number().int(),
  unread_count: z.number().int(),
  read_count: z.number().int(),
  by_type: z.record(z.string(), z.number()),
  by_priority: z.record(z.string(), z.number()),
  by_category: z.record(z.string(), z.number()),
  recent_notifications: z.array(NotificationOut),
});

export const TIMEOUTS = ['select', '15', '30', '60', '1days', '7days', 'never'] as const;
const flag = z.boolean().optional();
const readOnly = z.unknown().optional();

/** The client's six snake_case keys, their camelCase aliases, and the finer settings. Unknown keys are refused. */
export const PreferencesBody = z
  .object({
    enable_client_notifications: flag,
    enable_deal_notifications: flag,
    enable_user_management_notifications: flag,
    enable_team_notifications: flag,
    enable_project_notifications: flag,
    enable_commission_notifications: flag,
    enable_system_notifications: flag,
    notification_timeout: z.enum(TIMEOUTS).optional(),
    enable_email_notifications: flag,
    enable_marketing_emails: flag,
    enable_sound_notifications: flag,
    min_priority: z.enum(PRIORITIES).optional(),
    email_min_priority: z.enum(PRIORITIES).optional(),
    disabled_types: z.array(z.string().regex(TYPE_RE, 'Unknown notification type.')).max(100).optional(),
    desktop_notification: flag,
    unread_notification_badge: flag,
    desktopNotification: flag,
    unreadNotificationBadge: flag,
    pushNotificationTimeout: z.enum(TIMEOUTS).optional(),
    communicationEmails: flag,
    announcementsUpdates: flag,
    allNotificationSounds: flag,
    // Read-only keys of the GET answer, accepted (and ignored) when a client sends the object back.
    id: readOnly,
    user: readOnly,
    user_email: readOnly,
    created_at: readOnly,
    updated_at: readOnly,
  })
  .strict();
export type PreferencesInput = z.infer<typeof PreferencesBody>;

export const WsTokenOut = z.object({ ws_token: z.string(), expires_in: z.number().int(), expires_at: z.string() });

export const SecurityAlertBody = z.object({
  type: z.string().trim().max(64).optional(),
  priority: z.enum(PRIORITIES).optional(),
  recipient_type: z.string().trim().max(64).optional(),
  org_id: z.union([z.string().max(64), z.number()]).nullable().optional(),
  message: nonEmpty(2000),
  details: z.record(z.string(), z.unknown()).optional(),
});

const notificationType = z.string().trim().regex(TYPE_RE, 'Use lowercase letters, digits and underscores (e.g. payment_received).');

// The web client sends either the template names or the short ones (title/message/variables).
const templateFields = {
  name: z.string().trim().max(100).optional(),
  title_template: nonEmpty(255).optional(),
  title: nonEmpty(255).optional(),
  message_template: z.string().max(5000).optional(),
  message: z.string().max(5000).optional(),
  available_variables: z.array(z.string().trim().max(64)).max(50).optional(),
  variables: z.array(z.string().trim().max(64)).max(50).optional(),
  is_active: z.boolean().optional(),
};

export const TemplateBody = z
  .object({ notification_type: notificationType, ...templateFields })
  .refine((b) => b.title_template !== undefined || b.title !== undefined, { path: ['title_template'], message: 'This field is required.' });

export const TemplatePatchBody = z.object({ notification_type: notificationType.optional(), ...templateFields });

export const TemplateOut = z.object({
  id: wireId,
  organization: wireId.nullable(),
  is_global: z.boolean(),
  notification_type: z.string(),
  name: z.string(),
  title_template: z.string(),
  message_template: z.string(),
  title: z.string(),
  message: z.string(),
  available_variables: z.array(z.string()),
  variables: z.array(z.string()),
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const OutboxQuery = z.object({ ...pageQueryFields, status: z.enum(['queued', 'sending', 'sent', 'failed']).optional() });

export const OutboxItem = z.object({
  id: wireId,
  organization: wireId.nullable(),
  recipient: z.string(),
  subject: z.string(),
  body: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  notification_id: wireId.nullable(),
  sent_at: z.string().nullable(),
  created_at: z.string(),
});
