// The permission catalogue (`resource:action`, grouped by category for the UI), the Django-style
// codenames the original system used (accepted as aliases), and the default roles.

export interface PermissionDef {
  code: string;
  name: string;
  category: string;
}

const def = (category: string, code: string, name: string): PermissionDef => ({ code, name, category });

export const PERMISSIONS: readonly PermissionDef[] = [
  def('Organizations', 'organization:view', 'View own organisation'),
  def('Organizations', 'organization:change', 'Edit own organisation'),
  def('Users', 'users:view', 'View users'),
  def('Users', 'users:create', 'Create users'),
  def('Users', 'users:change', 'Edit users'),
  def('Users', 'users:delete', 'Deactivate users'),
  def('Users', 'users:set_sales_target', 'Set sales targets'),
  def('Roles', 'roles:view', 'View roles'),
  def('Roles', 'roles:manage', 'Create, edit and assign roles'),
  def('Clients', 'clients:view_own', 'View own clients'),
  def('Clients', 'clients:view_team', "View the team's clients"),
  def('Clients', 'clients:view_all', 'View all clients'),
  def('Clients', 'clients:create', 'Create clients'),
  def('Clients', 'clients:change', 'Edit clients'),
  def('Clients', 'clients:delete', 'Delete clients'),
  def('Deals', 'deals:view_own', 'View own deals'),
  def('Deals', 'deals:view_team', "View the team's deals"),
  def('Deals', 'deals:view_all', 'View all deals'),
  def('Deals', 'deals:create', 'Create deals'),
  def('Deals', 'deals:change', 'Edit deals'),
  def('Deals', 'deals:delete', 'Delete deals'),
  def('Deals', 'deals:log_activity', 'Log deal activity'),
  def('Deals', 'deals:verify', 'Approve deals'),
  def('Payments', 'payments:view', 'View payments'),
  def('Payments', 'payments:create', 'Record payments'),
  def('Payments', 'payments:verify', 'Verify payments'),
  def('Payments', 'payments:refund', 'Mark refunds and bad debts'),
  def('Invoices', 'invoices:view', 'View invoices'),
  def('Invoices', 'invoices:manage', 'Manage invoices'),
  def('Verification', 'verification:view_queue', 'Access the verification queue'),
  def('Verification', 'verification:view_dashboard', 'View the verification dashboard'),
  def('Commission', 'commission:view_own', 'View own commission'),
  def('Commission', 'commission:view_all', 'View all commission'),
  def('Commission', 'commission:manage', 'Adjust and approve commission'),
  def('Teams', 'teams:view', 'View teams'),
  def('Teams', 'teams:manage', 'Create and edit teams'),
  def('Projects', 'projects:view', 'View projects'),
  def('Projects', 'projects:manage', 'Create and edit projects'),
  def('Dashboard', 'dashboard:view', 'View the sales dashboard'),
  def('Dashboard', 'analytics:view', 'View analytics'),
  def('Notifications', 'notifications:manage', 'Manage notification templates'),
  def('Audit', 'audit:view', 'View the audit log'),
  def('CRM', 'crm:view', 'View leads and pipelines'),
  def('CRM', 'crm:manage', 'Manage leads and pipelines'),
  def('Contracts', 'contracts:view', 'View contracts'),
  def('Contracts', 'contracts:manage', 'Manage contracts'),
];

export const PERMISSION_CODES = new Set(PERMISSIONS.map((p) => p.code));

/** Django codenames of Backend_PRS → our codes, for clients that send the old names. */
export const CODENAME_ALIASES: Readonly<Record<string, string>> = {
  view_user: 'users:view',
  add_user: 'users:create',
  change_user: 'users:change',
  delete_user: 'users:delete',
  can_manage_roles: 'roles:manage',
  view_own_clients: 'clients:view_own',
  view_all_clients: 'clients:view_all',
  create_new_client: 'clients:create',
  edit_client_details: 'clients:change',
  remove_client: 'clients:delete',
  view_own_deals: 'deals:view_own',
  view_all_deals: 'deals:view_all',
  create_deal: 'deals:create',
  edit_deal: 'deals:change',
  delete_deal: 'deals:delete',
  log_deal_activity: 'deals:log_activity',
  verify_deal_payment: 'payments:verify',
  verify_payments: 'payments:verify',
  create_deal_payment: 'payments:create',
  manage_invoices: 'invoices:manage',
  access_verification_queue: 'verification:view_queue',
  manage_refunds: 'payments:refund',
  view_payment_verification_dashboard: 'verification:view_dashboard',
  view_payment_analytics: 'analytics:view',
  view_audit_logs: 'audit:view',
  view_commission: 'commission:view_own',
  view_all_commissions: 'commission:view_all',
  edit_commission: 'commission:manage',
  view_all_teams: 'teams:view',
  create_new_team: 'teams:manage',
  edit_team_details: 'teams:manage',
  view_all_projects: 'projects:view',
  create_project: 'projects:manage',
  edit_project: 'projects:manage',
};

/** Accepts our code or an old codename; returns our code or undefined. */
export function resolvePermissionCode(input: string): string | undefined {
  if (PERMISSION_CODES.has(input)) return input;
  return CODENAME_ALIASES[input];
}

export const ROLE_NAMES = {
  orgAdmin: 'Org Admin',
  salesperson: 'Salesperson',
  verifier: 'Verifier',
  supervisor: 'Supervisor',
  teamMember: 'Team Member',
  teamLead: 'Team Lead',
} as const;

/** The platform role, not stored per organisation. */
export const SUPER_ADMIN_ROLE_NAME = 'Super Admin';

const ALL = PERMISSIONS.map((p) => p.code);

export const DEFAULT_ROLES: readonly { name: string; description: string; permissions: readonly string[] }[] = [
  { name: ROLE_NAMES.orgAdmin, description: 'Runs the organisation: users, roles, every record.', permissions: ALL },
  {
    name: ROLE_NAMES.salesperson,
    description: 'Works own clients and deals and records payments.',
    permissions: [
      'organization:view', 'clients:view_own', 'clients:create', 'clients:change', 'clients:delete',
      'deals:view_own', 'deals:create', 'deals:change', 'deals:delete', 'deals:log_activity',
      'payments:view', 'payments:create', 'invoices:view', 'commission:view_own', 'teams:view', 'projects:view',
      'projects:manage', 'dashboard:view', 'crm:view', 'crm:manage',
    ],
  },
  {
    name: ROLE_NAMES.verifier,
    description: 'Checks payments against receipts and manages invoices, refunds and bad debts.',
    permissions: [
      'organization:view', 'clients:view_all', 'deals:view_all', 'deals:verify', 'deals:log_activity', 'payments:view',
      'payments:verify', 'payments:refund', 'invoices:view', 'invoices:manage', 'verification:view_queue',
      'verification:view_dashboard', 'analytics:view', 'audit:view',
    ],
  },
  {
    name: ROLE_NAMES.supervisor,
    description: "Oversees teams: sees the team's and organisation's sales.",
    permissions: [
      'organization:view', 'users:view', 'clients:view_all', 'deals:view_all', 'deals:log_activity', 'payments:view',
      'invoices:view', 'commission:view_all', 'teams:view', 'teams:manage', 'projects:view', 'projects:manage',
      'dashboard:view', 'analytics:view', 'crm:view', 'users:set_sales_target',
    ],
  },
  {
    name: ROLE_NAMES.teamLead,
    description: "Leads a team: sees the team's clients and deals.",
    permissions: [
      'organization:view', 'clients:view_team', 'clients:create', 'clients:change', 'deals:view_team', 'deals:create',
      'deals:change', 'deals:log_activity', 'payments:view', 'payments:create', 'invoices:view', 'commission:view_own',
      'teams:view', 'projects:view', 'dashboard:view', 'crm:view', 'crm:manage', 'users:set_sales_target',
    ],
  },
  {
    name: ROLE_NAMES.teamMember,
    description: 'Member of a team: own work, read access to the team.',
    permissions: [
      'organization:view', 'clients:view_own', 'deals:view_own', 'deals:log_activity', 'payments:view', 'teams:view',
      'projects:view', 'dashboard:view', 'crm:view',
    ],
  },
];
