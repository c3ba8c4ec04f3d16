// Notification types, priorities and the per-user setting that switches each type on or off.

export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const priorityRank = (p: string): number => Math.max(0, PRIORITIES.indexOf(p as Priority));

export const CATEGORIES = ['business', 'user_management', 'system', 'security'] as const;

/** The settings column that switches a group of types on or off. */
export type ToggleColumn =
  | 'enable_client_notifications'
  | 'enable_deal_notifications'
  | 'enable_user_management_notifications'
  | 'enable_team_notifications'
  | 'enable_project_notifications'
  | 'enable_commission_notifications'
  | 'enable_system_notifications';

interface TypeDef {
  label: string;
  category: string;
  /** undefined: cannot be switched off (security). */
  toggle: ToggleColumn | undefined;
}

const t = (label: string, category: string, toggle: ToggleColumn | undefined): TypeDef => ({ label, category, toggle });

export const NOTIFICATION_TYPES: Readonly<Record<string, TypeDef>> = {
  client_created: t('Client created', 'business', 'enable_client_notifications'),
  deal_created: t('Deal created', 'business', 'enable_deal_notifications'),
  deal_updated: t('Deal updated', 'business', 'enable_deal_notifications'),
  payment_received: t('Payment received', 'business', 'enable_deal_notifications'),
  payment_verified: t('Payment verified', 'business', 'enable_deal_notifications'),
  payment_rejected: t('Payment rejected', 'business', 'enable_deal_notifications'),
  payment_info_requested: t('Payment needs information', 'business', 'enable_deal_notifications'),
  payment_pending_reminder: t('Payment awaiting verification', 'business', 'enable_deal_notifications'),
  payment_refunded: t('Payment refunded', 'business', 'enable_deal_notifications'),
  payment_bad_debt: t('Payment marked bad debt', 'business', 'enable_deal_notifications'),
  user_created: t('User created', 'user_management', 'enable_user_management_notifications'),
  role_created: t('Role created', 'user_management', 'enable_user_management_notifications'),
  team_created: t('Team created', 'user_management', 'enable_team_notifications'),
  project_created: t('Project created', 'business', 'enable_project_notifications'),
  commission_created: t('Commission created', 'business', 'enable_commission_notifications'),
  commission_approved: t('Commission approved', 'business', 'enable_commission_notifications'),
  new_organization: t('New organisation', 'system', 'enable_system_notifications'),
  organization_invitation: t('Invitation to an organisation', 'user_management', 'enable_user_management_notifications'),
  system_alert: t('System alert', 'system', 'enable_system_notifications'),
  security_alert: t('Security alert', 'security', undefined),
};

/** Known types keep their group; an unknown type is grouped by the word it starts with. */
export function typeDef(type: string): TypeDef {
  const known = NOTIFICATION_TYPES[type];
  if (known) return known;
  const head = type.split('_')[0] ?? '';
  const byHead: Record<string, ToggleColumn> = {
    client: 'enable_client_notifications',
    deal: 'enable_deal_notifications',
    payment: 'enable_deal_notifications',
    user: 'enable_user_management_notifications',
    role: 'enable_user_management_notifications',
    team: 'enable_team_notifications',
    project: 'enable_project_notifications',
    commission: 'enable_commission_notifications',
  };
  if (head === 'security') return t(type, 'security', undefined);
  return t(type.replace(/_/g, ' '), byHead[head] ? 'business' : 'system', byHead[head] ?? 'enable_system_notifications');
}

export const TYPE_RE = /^[a-z][a-z0-9_]{0,63}$/;
