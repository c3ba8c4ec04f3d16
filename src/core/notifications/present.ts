// Wire shapes: one notification item for REST lists and WebSocket frames (the web client reads
// snake_case with camelCase fallbacks, and `actionUrl` only in camelCase in lists), and the
// preferences object with the client's six snake_case keys plus the camelCase aliases. Both
// transports write an item through this schema (REST by its response serialiser, sockets by
// frames.ts), so ids are JSON integers on either.
import { z } from 'zod';
import { iso } from '../http/org-scope.ts';
import { isId, wireId } from '../http/fields.ts';

/**
 * An id inside a notification's `data`: the stored JSON is sent as it is, so it holds ids the
 * way the wire shows them, as JSON integers (anything that is not an id is kept unchanged).
 */
export function dataId<T extends string | null | undefined>(id: T): number | T {
  return typeof id === 'string' && isId(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id;
}

export interface NotificationRow {
  id: string;
  recipient_id: string;
  organization_id: string | null;
  notification_type: string;
  priority: string;
  category: string;
  title: string;
  message: string;
  data: Record<string, unknown> | null;
  action_url: string | null;
  related_object_type: string | null;
  related_object_id: string | null;
  is_read: boolean;
  read_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
  recipient_email?: string | null;
}

export const NotificationOut = z.object({
  id: wireId,
  title: z.string(),
  message: z.string(),
  notification_type: z.string(),
  notificationType: z.string(),
  priority: z.string(),
  category: z.string(),
  is_read: z.boolean(),
  isRead: z.boolean(),
  read_at: z.string().nullable(),
  readAt: z.string().nullable(),
  created_at: z.string(),
  createdAt: z.string(),
  updated_at: z.string(),
  updatedAt: z.string(),
  action_url: z.string().nullable(),
  actionUrl: z.string().nullable(),
  related_object_type: z.string().nullable(),
  related_object_id: wireId.nullable(),
  relatedObjectType: z.string().nullable(),
  relatedObjectId: wireId.nullable(),
  recipient_email: z.string().nullable(),
  organization_id: wireId.nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type NotificationItem = z.infer<typeof NotificationOut>;

export function presentNotification(n: NotificationRow): NotificationItem {
  const readAt = n.read_at ? iso(n.read_at) : null;
  const createdAt = iso(n.created_at);
  const updatedAt = iso(n.updated_at);
  // The column is text (any kind of record); every writer stores an id, anything else is left out.
  const relatedId = n.related_object_id !== null && isId(n.related_object_id) ? n.related_object_id : null;
  return {
    id: n.id,
    title: n.title,
    message: n.message,
    notification_type: n.notification_type,
    notificationType: n.notification_type,
    priority: n.priority,
    category: n.category,
    is_read: n.is_read,
    isRead: n.is_read,
    read_at: readAt,
    readAt,
    created_at: createdAt,
    createdAt,
    updated_at: updatedAt,
    updatedAt,
    action_url: n.action_url,
    actionUrl: n.action_url,
    related_object_type: n.related_object_type,
    related_object_id: relatedId,
    relatedObjectType: n.related_object_type,
    relatedObjectId: relatedId,
    recipient_email: n.recipient_email ?? null,
    organization_id: n.organization_id,
    data: n.data ?? {},
  };
}

export interface SettingsRow {
  user_id: string;
  enable_client_notifications: boolean;
  enable_deal_notifications: boolean;
  enable_user_management_notifications: boolean;
  enable_team_notifications: boolean;
  enable_project_notifications: boolean;
  enable_commission_notifications: boolean;
  enable_system_notifications: boolean;
  disabled_types: string[];
  min_priority: string;
  email_enabled: boolean;
  email_min_priority: string;
  marketing_emails: boolean;
  sound_enabled: boolean;
  desktop_notification: boolean;
  unread_notification_badge: boolean;
  notification_timeout: string;
  created_at: string | Date | null;
  updated_at: string | Date | null;
}

export const DEFAULT_SETTINGS: Omit<SettingsRow, 'user_id' | 'created_at' | 'updated_at'> = {
  enable_client_notifications: true,
  enable_deal_notifications: true,
  enable_user_management_notifications: true,
  enable_team_notifications: true,
  enable_project_notifications: true,
  enable_commission_notifications: true,
  enable_system_notifications: true,
  disabled_types: [],
  min_priority: 'low',
  email_enabled: true,
  email_min_priority: 'high',
  marketing_emails: false,
  sound_enabled: true,
  desktop_notification: true,
  unread_notification_badge: false,
  notification_timeout: 'select',
};

export const PreferencesOut = z.object({
  id: wireId,
  user: wireId,
  user_email: z.string(),
  enable_client_notifications: z.boolean(),
  enable_deal_notifications: z.boolean(),
  enable_user_management_notifications: z.boolean(),
  enable_team_notifications: z.boolean(),
  enable_project_notifications: z.boolean(),
  enable_commission_notifications: z.boolean(),
  enable_system_notifications: z.boolean(),
  notification_timeout: z.string(),
  enable_email_notifications: z.boolean(),
  enable_marketing_emails: z.boolean(),
  enable_sound_notifications: z.boolean(),
  min_priority: z.string(),
  email_min_priority: z.string(),
  disabled_types: z.array(z.string()),
  desktop_notification: z.boolean(),
  unread_notification_badge: z.boolean(),
  desktopNotification: z.boolean(),
  unreadNotificationBadge: z.boolean(),
  pushNotificationTimeout: z.string(),
  communicationEmails: z.boolean(),
  announcementsUpdates: z.boolean(),
  allNotificationSounds: z.boolean(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});

export function presentPreferences(s: SettingsRow, email: string): z.infer<typeof PreferencesOut> {
  return {
    id: s.user_id,
    user: s.user_id,
    user_email: email,
    enable_client_notifications: s.enable_client_notifications,
    enable_deal_notifications: s.enable_deal_notifications,
    enable_user_management_notifications: s.enable_user_management_notifications,
    enable_team_notifications: s.enable_team_notifications,
    enable_project_notifications: s.enable_project_notifications,
    enable_commission_notifications: s.enable_commission_notifications,
    enable_system_notifications: s.enable_system_notifications,
    notification_timeout: s.notification_timeout,
    enable_email_notifications: s.email_enabled,
    enable_marketing_emails: s.marketing_emails,
    enable_sound_notifications: s.sound_enabled,
    min_priority: s.min_priority,
    email_min_priority: s.email_min_priority,
    disabled_types: s.disabled_types,
    desktop_notification: s.desktop_notification,
    unread_notification_badge: s.unread_notification_badge,
    desktopNotification: s.desktop_notification,
    unreadNotificationBadge: s.unread_notification_badge,
    pushNotificationTimeout: s.notification_timeout,
    communicationEmails: s.email_enabled,
    announcementsUpdates: s.marketing_emails,
    allNotificationSounds: s.sound_enabled,
    created_at: s.created_at ? iso(s.created_at) : null,
    updated_at: s.updated_at ? iso(s.updated_at) : null,
  };
}
