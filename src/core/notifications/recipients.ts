// Who receives what, by role. Each helper returns active users' ids. Tenant helpers run in the
// caller's transaction (row-level security limits them to the organisation anyway).
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../db/database.ts';
import { ROLE_NAMES } from '../access/catalog.ts';

/** The ids of the organisation's active members whose role grants `permission`, as a subquery. */
export function usersWithPermissionSql(orgId: string, permission: string): SQL {
  return sql`SELECT m.user_id FROM memberships m
    JOIN role_permissions rp ON rp.role_id = m.role_id
    JOIN permissions p ON p.id = rp.permission_id AND p.code = ${permission}
    WHERE m.organization_id = ${orgId} AND m.is_active`;
}

/** Active members of the organisation whose role grants `permission`. */
export async function usersWithPermission(tx: Tx, orgId: string, permission: string): Promise<string[]> {
  const found = await rows<{ id: string }>(tx, sql`SELECT u.id FROM users u WHERE u.is_active AND u.id IN (${usersWithPermissionSql(orgId, permission)})`);
  return found.map((r) => r.id);
}

/**
 * The organisation's verifiers: everyone whose role may verify payments. A subquery, so that
 * notify() reads them together with their settings in one statement.
 */
export const verifiersOf = (orgId: string) => usersWithPermissionSql(orgId, 'payments:verify');

/** Active members holding a role of this name (case-insensitive). */
export async function usersWithRole(tx: Tx, orgId: string, roleName: string): Promise<string[]> {
  const found = await rows<{ id: string }>(
    tx,
    sql`SELECT u.id FROM memberships m
        JOIN users u ON u.id = m.user_id AND u.is_active
        JOIN roles r ON r.id = m.role_id AND lower(r.name) = lower(${roleName})
        WHERE m.organization_id = ${orgId} AND m.is_active`,
  );
  return found.map((r) => r.id);
}

export const orgAdminsOf = (tx: Tx, orgId: string) => usersWithRole(tx, orgId, ROLE_NAMES.orgAdmin);

/** Active members holding one of these roles (case-insensitive) whose role also grants `permission`. */
export async function usersWithRoleAndPermission(tx: Tx, orgId: string, roleNames: readonly string[], permission: string): Promise<string[]> {
  const names = sql.param(roleNames.map((n) => n.toLowerCase()));
  const found = await rows<{ id: string }>(
    tx,
    sql`SELECT DISTINCT u.id FROM memberships m
        JOIN users u ON u.id = m.user_id AND u.is_active
        JOIN roles r ON r.id = m.role_id AND lower(r.name) = ANY(${names}::text[])
        JOIN role_permissions rp ON rp.role_id = m.role_id
        JOIN permissions p ON p.id = rp.permission_id AND p.code = ${permission}
        WHERE m.organization_id = ${orgId} AND m.is_active`,
  );
  return found.map((r) => r.id);
}

/**
 * Who hears of a new client: Org Admins and Supervisors, and only those whose role lets them
 * open every client (a notification about a record the reader cannot see would be a leak).
 */
export const clientOverseersOf = (tx: Tx, orgId: string) =>
  usersWithRoleAndPermission(tx, orgId, [ROLE_NAMES.orgAdmin, ROLE_NAMES.supervisor], 'clients:view_all');

/** Every active Super Admin. Needs system scope: they are members of no organisation. */
export async function superAdmins(tx: Tx): Promise<string[]> {
  const found = await rows<{ id: string }>(tx, sql`SELECT id FROM users WHERE is_superuser AND is_active`);
  return found.map((r) => r.id);
}

/** The owner (creator) of a deal, if it still exists in the organisation. */
export async function dealOwner(tx: Tx, orgId: string, dealId: string): Promise<string | undefined> {
  const [row] = await rows<{ created_by: string }>(tx, sql`SELECT created_by FROM deals WHERE organization_id = ${orgId} AND id = ${dealId}`);
  return row?.created_by;
}
