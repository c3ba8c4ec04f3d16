import { rows, sql, type Tx } from '../db/database.ts';
import { containsPattern } from '../db/like.ts';
import type { SQL } from 'drizzle-orm';

export interface OrganizationRow {
  id: string;
  name: string;
  description: string;
  contact_email: string;
  contact_number: string;
  address: string;
  sales_goal: string;
  currency: string;
  time_zone: string;
  is_active: boolean;
  settings: Record<string, unknown>;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  user_count: number;
  role_count: number;
  admin_email: string | null;
}

const SELECT_ORG = sql`
  SELECT o.id, o.name, o.description, o.contact_email, o.contact_number, o.address, o.sales_goal::text AS sales_goal,
         o.currency, o.time_zone, o.is_active, o.settings, o.created_by, o.created_at, o.updated_at,
         (SELECT count(*)::int FROM memberships m WHERE m.organization_id = o.id AND m.is_active) AS user_count,
         (SELECT count(*)::int FROM roles r WHERE r.organization_id = o.id) AS role_count,
         (SELECT u.email FROM memberships m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
           WHERE m.organization_id = o.id AND r.name = 'Org Admin' AND m.is_active
           ORDER BY m.membership_role = 'owner' DESC, m.created_at, m.id LIMIT 1) AS admin_email
  FROM organizations o`;

export async function listOrganizations(tx: Tx, f: { search?: string | undefined; isActive?: boolean | undefined; limit: number; offset: number; onlyId?: string }) {
  const where: SQL[] = [sql`true`];
  if (f.onlyId) where.push(sql`o.id = ${f.onlyId}`);
  if (f.search) where.push(sql`o.name ILIKE ${containsPattern(f.search)}`);
  if (f.isActive !== undefined) where.push(sql`o.is_active = ${f.isActive}`);
  const cond = sql.join(where, sql` AND `);
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM organizations o WHERE ${cond}`);
  const list = await rows<OrganizationRow>(tx, sql`${SELECT_ORG} WHERE ${cond} ORDER BY o.created_at DESC, o.id LIMIT ${f.limit} OFFSET ${f.offset}`);
  return { count: c?.n ?? 0, rows: list };
}

export async function findOrganization(tx: Tx, id: string): Promise<OrganizationRow | undefined> {
  const [row] = await rows<OrganizationRow>(tx, sql`${SELECT_ORG} WHERE o.id = ${id}`);
  return row;
}

export async function nameTaken(tx: Tx, name: string, exceptId?: string): Promise<boolean> {
  const found = await rows(tx, sql`SELECT 1 FROM organizations WHERE lower(name) = lower(${name}) AND id <> ${exceptId ?? '0'}`);
  return found.length > 0;
}

export interface OrganizationFields {
  name?: string | undefined;
  description?: string | undefined;
  contact_email?: string | undefined;
  contact_number?: string | undefined;
  address?: string | undefined;
  sales_goal?: string | undefined;
  currency?: string | undefined;
  time_zone?: string | undefined;
  is_active?: boolean | undefined;
  settings?: Record<string, unknown> | undefined;
}

export async function insertOrganization(tx: Tx, f: OrganizationFields & { name: string }, createdBy: string | null): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO organizations (name, description, contact_email, contact_number, address, sales_goal, currency, time_zone, is_active, settings, created_by)
        VALUES (${f.name}, ${f.description ?? ''}, ${f.contact_email ?? ''}, ${f.contact_number ?? ''}, ${f.address ?? ''}, ${f.sales_goal ?? '100000.00'},
                ${f.currency ?? 'USD'}, ${f.time_zone ?? 'UTC'}, ${f.is_active ?? true}, ${JSON.stringify(f.settings ?? {})}::jsonb, ${createdBy})
        RETURNING id`,
  );
  return row!.id;
}

export async function updateOrganization(tx: Tx, id: string, f: OrganizationFields) {
  const sets: SQL[] = [];
  for (const [key, value] of Object.entries(f)) {
    if (value === undefined) continue;
    sets.push(key === 'settings' ? sql`settings = ${JSON.stringify(value)}::jsonb` : sql`${sql.identifier(key)} = ${value}`);
  }
  if (sets.length) await tx.execute(sql`UPDATE organizations SET ${sql.join(sets, sql`, `)} WHERE id = ${id}`);
}

/** Every membership, active or not. */
export async function countMembers(tx: Tx, id: string): Promise<number> {
  const [row] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM memberships WHERE organization_id = ${id}`);
  return row?.n ?? 0;
}

export async function deleteOrganization(tx: Tx, id: string) {
  await tx.execute(sql`DELETE FROM organizations WHERE id = ${id}`);
}

export interface MyOrganizationRow extends OrganizationRow {
  member_count: number;
  membership_id: string;
  membership_role: 'owner' | 'admin' | 'member';
  role_id: string | null;
  role_name: string | null;
  joined_at: string;
}

/** The active organisations where the person is an accepted, active member (run in system scope). */
export async function listMyOrganizations(tx: Tx, userId: string, page: { limit: number; offset: number }) {
  const cond = sql`m.user_id = ${userId} AND m.status = 'active' AND m.is_active AND o.is_active`;
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM memberships m JOIN organizations o ON o.id = m.organization_id WHERE ${cond}`);
  const list = await rows<MyOrganizationRow>(
    tx,
    sql`SELECT q.*, q.user_count AS member_count, m.id AS membership_id, m.membership_role, m.role_id, r.name AS role_name,
               COALESCE(m.accepted_at, m.created_at) AS joined_at
          FROM memberships m JOIN organizations o ON o.id = m.organization_id
          JOIN LATERAL (${SELECT_ORG} WHERE o.id = m.organization_id) q ON true
          LEFT JOIN roles r ON r.id = m.role_id
         WHERE ${cond} ORDER BY o.name, o.id LIMIT ${page.limit} OFFSET ${page.offset}`,
  );
  return { count: c?.n ?? 0, rows: list };
}
