// The one JSON shape of a user, with the aliases the PRS web client reads.
import { ROLE_NAMES, SUPER_ADMIN_ROLE_NAME } from '../access/catalog.ts';
import type { UserRow } from './repo.ts';

const USER_TYPES: Record<string, string> = {
  [ROLE_NAMES.orgAdmin.toLowerCase()]: 'org_admin',
  [ROLE_NAMES.salesperson.toLowerCase()]: 'salesperson',
  [ROLE_NAMES.verifier.toLowerCase()]: 'verifier',
  [ROLE_NAMES.supervisor.toLowerCase()]: 'supervisor',
  [ROLE_NAMES.teamMember.toLowerCase()]: 'team_member',
  [ROLE_NAMES.teamLead.toLowerCase()]: 'team_lead',
};

export function userType(row: { is_superuser: boolean; role_name: string | null }): string {
  if (row.is_superuser) return 'super_admin';
  if (!row.role_name) return 'team_member';
  return USER_TYPES[row.role_name.toLowerCase()] ?? 'team_member';
}

export function presentUser(row: UserRow) {
  const fullName = `${row.first_name} ${row.last_name}`.trim();
  const roleName = row.role_name ?? (row.is_superuser ? SUPER_ADMIN_ROLE_NAME : null);
  return {
    id: row.id,
    email: row.email,
    username: row.username || row.email,
    first_name: row.first_name,
    last_name: row.last_name,
    full_name: fullName,
    name: fullName || row.email,
    role: roleName ? { id: row.role_id, name: roleName } : null,
    user_type: userType(row),
    organization: row.organization_id,
    organizationId: row.organization_id,
    organization_name: row.organization_name,
    contact_number: row.contact_number,
    phoneNumber: row.contact_number,
    address: row.address,
    status: row.status,
    is_active: row.is_active && row.membership_active !== false,
    is_superuser: row.is_superuser,
    must_change_password: row.must_change_password,
    sales_target: row.sales_target,
    teams: [] as { id: string; name: string }[],
    team_name: null,
    profile: { profile_picture: row.profile_picture, bio: row.bio },
    avatar: row.profile_picture,
    totp_enabled: row.totp_enabled,
    login_count: row.login_count,
    last_login: row.last_login ? new Date(row.last_login).toISOString() : null,
    date_joined: new Date(row.created_at).toISOString(),
  };
}

export type UserView = ReturnType<typeof presentUser>;
