// SQL for memberships: one person's place in one organisation (membership role, PRS role,
// invitation state). Reads of a person's memberships elsewhere run as the system role (asSystem).
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../db/database.ts';
import { containsPattern } from '../db/like.ts';
import { asSystem } from '../db/system-scope.ts';
import type { MembershipRole } from '../auth/actor.ts';

export type { MembershipRole } from '../auth/actor.ts';

export interface MembershipRow {
  id: string;
  organization_id: string;
  organization_name: string;
  user_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  invited_email: string | null;
  membership_role: MembershipRole;
  role_id: string | null;
  role_name: string | null;
  is_active: boolean;
  status: 'pending' | 'active';
  created_at: string;
  accepted_at: string | null;
  left_at: string | null;
  invited_by: string | null;
  invited_by_name: string | null;
  invited_at: string | null;
  accepted_by: string | null;
  deactivated_by: string | null;
}

/** The person's name and e-mail only once they accepted (or for themself): a pending invitee has not agreed to be seen. */
const SELECT_MEMBERSHIP = sql`
  SELECT m.id, m.organization_id, o.name AS organization_name, m.user_id, u.email, u.first_name, u.last_name, m.invited_email,
         m.membership_role, m.role_id, r.name AS role_name, m.is_active, m.status, m.created_at, m.accepted_at, m.left_at,
         m.invited_by, NULLIF(trim(coalesce(inv.first_name, '') || ' ' || coalesce(inv.last_name, '')), '') AS invited_by_name,
         m.invited_at, m.accepted_by, m.deactivated_by
    FROM memberships m
    JOIN organizations o ON o.id = m.organization_id
    LEFT JOIN users u ON u.id = m.user_id AND (m.status = 'active' OR m.user_id = app.current_user_id())
    LEFT JOIN users inv ON inv.id = m.invited_by
    LEFT JOIN roles r ON r.id = m.role_id`;

const ROLE_ORDER = sql`CASE m.membership_role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`;

export type StatusFilter = 'active' | 'pending' | 'all';

export interface MemberFilters {
  status: StatusFilter;
  isActive?: boolean | undefined;
  search?: string | undefined;
  limit: number;
  offset: number;
}

function statusWhere(status: StatusFilter): SQL {
  return status === 'all' ? sql`true` : sql`m.status = ${status}`;
}

/** An organisation's memberships (run in its tenant scope). */
export async function listMembers(tx: Tx, orgId: string, f: MemberFilters): Promise<{ count: number; rows: MembershipRow[] }> {
  const where: SQL[] = [sql`m.organization_id = ${orgId}`, statusWhere(f.status)];
  if (f.isActive !== undefined) where.push(sql`m.is_active = ${f.isActive}`);
  if (f.search) {
    const like = containsPattern(f.search);
    // A pending invitation is found by the address it was sent to, never by the person's name.
    where.push(sql`(CASE WHEN m.status = 'active'
      THEN (u.email ILIKE ${like} OR u.first_name ILIKE ${like} OR u.last_name ILIKE ${like} OR (u.first_name || ' ' || u.last_name) ILIKE ${like})
      ELSE m.invited_email ILIKE ${like} END)`);
  }
  const filtered = sql`${SELECT_MEMBERSHIP} WHERE ${sql.join(where, sql` AND `)}`;
  const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM (${filtered}) q`);
  const page = await rows<MembershipRow>(tx, sql`${filtered} ORDER BY ${ROLE_ORDER}, m.created_at, m.id LIMIT ${f.limit} OFFSET ${f.offset}`);
  return { count: counted?.n ?? 0, rows: page };
}

/** The caller's own memberships in every organisation (any status). */
export async function listOwnMemberships(tx: Tx, userId: string, f: { status?: StatusFilter; limit: number; offset: number }) {
  return asSystem(tx, async () => {
    const cond = sql`m.user_id = ${userId} AND ${statusWhere(f.status ?? 'all')}`;
    const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM memberships m WHERE ${cond}`);
    const page = await rows<MembershipRow>(tx, sql`${SELECT_MEMBERSHIP} WHERE ${cond} ORDER BY m.created_at, m.id LIMIT ${f.limit} OFFSET ${f.offset}`);
    return { count: counted?.n ?? 0, rows: page };
  });
}

/** Any membership by id, whatever the organisation (callers decide whether the caller may see it). */
export async function findMembership(tx: Tx, id: string): Promise<MembershipRow | undefined> {
  const [row] = await asSystem(tx, () => rows<MembershipRow>(tx, sql`${SELECT_MEMBERSHIP} WHERE m.id = ${id}`));
  return row;
}

export async function findMembershipOf(tx: Tx, orgId: string, userId: string): Promise<MembershipRow | undefined> {
  const [row] = await asSystem(tx, () => rows<MembershipRow>(tx, sql`${SELECT_MEMBERSHIP} WHERE m.organization_id = ${orgId} AND m.user_id = ${userId}`));
  return row;
}

/** The membership role of an accepted, active member; undefined for anyone else. */
export async function activeMembershipRole(tx: Tx, orgId: string, userId: string): Promise<MembershipRole | undefined> {
  const [row] = await asSystem(tx, () =>
    rows<{ membership_role: MembershipRole }>(
      tx,
      sql`SELECT membership_role FROM memberships WHERE organization_id = ${orgId} AND user_id = ${userId} AND status = 'active' AND is_active`,
    ),
  );
  return row?.membership_role;
}

export async function ownerOf(tx: Tx, orgId: string): Promise<string | undefined> {
  const [row] = await asSystem(tx, () =>
    rows<{ user_id: string }>(tx, sql`SELECT user_id FROM memberships WHERE organization_id = ${orgId} AND membership_role = 'owner'`),
  );
  return row?.user_id;
}

/** A person's id by e-mail, across the platform (e-mail addresses are unique). */
export async function userIdByEmail(tx: Tx, email: string): Promise<string | undefined> {
  const [row] = await asSystem(tx, () => rows<{ id: string }>(tx, sql`SELECT id FROM users WHERE email = lower(${email})`));
  return row?.id;
}

export async function emailOf(tx: Tx, userId: string): Promise<string | undefined> {
  const [row] = await asSystem(tx, () => rows<{ email: string }>(tx, sql`SELECT email FROM users WHERE id = ${userId}`));
  return row?.email;
}

/** A pending membership (a new one, or an ended one re-opened as an invitation). */
export async function upsertInvitation(
  tx: Tx,
  m: { orgId: string; userId: string; roleId: string | null; membershipRole: MembershipRole; invitedBy: string; email: string },
): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO memberships (organization_id, user_id, role_id, membership_role, status, is_active, invited_by, invited_email, invited_at)
        VALUES (${m.orgId}, ${m.userId}, ${m.roleId}, ${m.membershipRole}, 'pending', false, ${m.invitedBy}, ${m.email}, now())
        ON CONFLICT (organization_id, user_id) DO UPDATE SET role_id = EXCLUDED.role_id, membership_role = EXCLUDED.membership_role,
          status = 'pending', is_active = false, invited_by = EXCLUDED.invited_by, invited_email = EXCLUDED.invited_email, invited_at = now(),
          accepted_at = NULL, accepted_by = NULL, left_at = NULL, deactivated_by = NULL
        RETURNING id`,
  );
  return row!.id;
}

export async function accept(tx: Tx, id: string, acceptedBy: string) {
  await asSystem(tx, () =>
    tx.execute(sql`UPDATE memberships SET status = 'active', is_active = true, accepted_at = now(), accepted_by = ${acceptedBy},
      left_at = NULL, deactivated_by = NULL WHERE id = ${id}`),
  );
}

export async function deleteMembership(tx: Tx, id: string) {
  await asSystem(tx, () => tx.execute(sql`DELETE FROM memberships WHERE id = ${id}`));
}

export async function deactivate(tx: Tx, id: string, by: { self: boolean; userId: string }) {
  await asSystem(tx, () =>
    tx.execute(
      by.self
        ? sql`UPDATE memberships SET is_active = false, left_at = now() WHERE id = ${id}`
        : sql`UPDATE memberships SET is_active = false, deactivated_by = ${by.userId} WHERE id = ${id}`,
    ),
  );
}

/** Single-use WebSocket tokens of the person's sessions in that organisation. */
export async function deleteWsTokens(tx: Tx, userId: string, orgId: string) {
  await asSystem(tx, () =>
    tx.execute(sql`DELETE FROM ws_tokens WHERE user_id = ${userId} AND (organization_id = ${orgId}
      OR session_id IN (SELECT id FROM auth_sessions WHERE user_id = ${userId} AND organization_id = ${orgId}))`),
  );
}

export async function setMembershipRole(tx: Tx, id: string, role: MembershipRole) {
  await tx.execute(sql`UPDATE memberships SET membership_role = ${role} WHERE id = ${id}`);
}

export async function setRole(tx: Tx, id: string, roleId: string) {
  await tx.execute(sql`UPDATE memberships SET role_id = ${roleId} WHERE id = ${id}`);
}

/** Demotes the owner (if any) then promotes `membershipId`: the unique owner index allows no moment with two. */
export async function transferOwnership(tx: Tx, orgId: string, membershipId: string) {
  await tx.execute(sql`UPDATE memberships SET membership_role = 'admin' WHERE organization_id = ${orgId} AND membership_role = 'owner'`);
  await tx.execute(sql`UPDATE memberships SET membership_role = 'owner' WHERE id = ${membershipId}`);
}

/** Whether the current organisation alone holds this person (its admins then manage their identity). */
export async function identityOwnedByCurrentOrg(tx: Tx, userId: string): Promise<boolean> {
  const [row] = await rows<{ owned: boolean }>(tx, sql`SELECT app.identity_owned_by_current_org(${userId}) AS owned`);
  return row?.owned === true;
}
