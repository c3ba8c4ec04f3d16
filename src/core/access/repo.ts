// SQL for permissions, roles and role assignment.
import { rows, sql, type Tx } from '../db/database.ts';
import { PERMISSIONS } from './catalog.ts';

export interface PermissionRow {
  id: string;
  code: string;
  name: string;
  category: string;
}

export interface RoleRow {
  id: string;
  organization_id: string;
  organization_name: string;
  name: string;
  description: string;
  is_default: boolean;
  permissions: string[];
  permission_codes: string[];
  user_count: number;
  created_at: string;
}

/** Inserts or renames catalogue permissions; returns how many rows were new. */
export async function syncPermissionCatalog(tx: Tx): Promise<number> {
  const values = sql.join(
    PERMISSIONS.map((p) => sql`(${p.code}, ${p.name}, ${p.category})`),
    sql`, `,
  );
  const result = await rows<{ inserted: boolean }>(
    tx,
    sql`INSERT INTO permissions (code, name, category) VALUES ${values}
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category
        RETURNING (xmax = 0) AS inserted`,
  );
  return result.filter((r) => r.inserted).length;
}

/** Deletes permissions no longer in the catalogue (their role grants go with them). */
export async function deleteUnknownPermissions(tx: Tx): Promise<string[]> {
  const codes = PERMISSIONS.map((p) => p.code);
  const deleted = await rows<{ code: string }>(
    tx,
    sql`DELETE FROM permissions WHERE NOT (code = ANY(${sql.param(codes)}::text[])) RETURNING code`,
  );
  return deleted.map((d) => d.code);
}

export function listPermissions(tx: Tx): Promise<PermissionRow[]> {
  return rows<PermissionRow>(tx, sql`SELECT id, code, name, category FROM permissions ORDER BY category, code`);
}

export function permissionsByIds(tx: Tx, ids: string[]): Promise<PermissionRow[]> {
  if (!ids.length) return Promise.resolve([]);
  return rows<PermissionRow>(tx, sql`SELECT id, code, name, category FROM permissions WHERE id = ANY(${sql.param(ids)}::bigint[])`);
}

export function permissionsByCodes(tx: Tx, codes: readonly string[]): Promise<PermissionRow[]> {
  if (!codes.length) return Promise.resolve([]);
  return rows<PermissionRow>(tx, sql`SELECT id, code, name, category FROM permissions WHERE code = ANY(${sql.param([...codes])}::text[])`);
}

const SELECT_ROLE = sql`
  SELECT r.id, r.organization_id, o.name AS organization_name, r.name, r.description, r.is_default, r.created_at,
         COALESCE(array_agg(p.id ORDER BY p.code) FILTER (WHERE p.id IS NOT NULL), '{}') AS permissions,
         COALESCE(array_agg(p.code ORDER BY p.code) FILTER (WHERE p.id IS NOT NULL), '{}') AS permission_codes,
         (SELECT count(*)::int FROM memberships m WHERE m.role_id = r.id AND m.is_active) AS user_count
  FROM roles r
  JOIN organizations o ON o.id = r.organization_id
  LEFT JOIN role_permissions rp ON rp.role_id = r.id
  LEFT JOIN permissions p ON p.id = rp.permission_id`;

export function listRoles(tx: Tx, orgId: string): Promise<RoleRow[]> {
  return rows<RoleRow>(tx, sql`${SELECT_ROLE} WHERE r.organization_id = ${orgId} GROUP BY r.id, o.name ORDER BY r.is_default DESC, r.name`);
}

export async function findRole(tx: Tx, orgId: string, roleId: string): Promise<RoleRow | undefined> {
  const [row] = await rows<RoleRow>(tx, sql`${SELECT_ROLE} WHERE r.organization_id = ${orgId} AND r.id = ${roleId} GROUP BY r.id, o.name`);
  return row;
}

export async function findRoleByName(tx: Tx, orgId: string, name: string): Promise<RoleRow | undefined> {
  const [row] = await rows<RoleRow>(
    tx,
    sql`${SELECT_ROLE} WHERE r.organization_id = ${orgId} AND lower(r.name) = lower(${name}) GROUP BY r.id, o.name`,
  );
  return row;
}

export async function insertRole(tx: Tx, orgId: string, name: string, description: string, isDefault: boolean): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO roles (organization_id, name, description, is_default) VALUES (${orgId}, ${name}, ${description}, ${isDefault}) RETURNING id`,
  );
  return row!.id;
}

export async function updateRole(tx: Tx, roleId: string, patch: { name?: string | undefined; description?: string | undefined }) {
  await tx.execute(sql`UPDATE roles SET name = COALESCE(${patch.name ?? null}, name), description = COALESCE(${patch.description ?? null}, description) WHERE id = ${roleId}`);
}

export async function setRolePermissions(tx: Tx, orgId: string, roleId: string, permissionIds: string[]) {
  await tx.execute(sql`DELETE FROM role_permissions WHERE role_id = ${roleId}`);
  if (!permissionIds.length) return;
  await tx.execute(
    sql`INSERT INTO role_permissions (role_id, permission_id, organization_id)
        SELECT ${roleId}, unnest(${sql.param(permissionIds)}::bigint[]), ${orgId} ON CONFLICT DO NOTHING`,
  );
}

/** Every membership holding the role, active or not (a deactivated user keeps their role). */
export async function countRoleHolders(tx: Tx, roleId: string): Promise<number> {
  const [row] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM memberships WHERE role_id = ${roleId}`);
  return row?.n ?? 0;
}

export async function deleteRole(tx: Tx, roleId: string) {
  await tx.execute(sql`DELETE FROM roles WHERE id = ${roleId}`);
}
