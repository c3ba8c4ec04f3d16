// SQL for users and their memberships.
import { containsPattern } from '../db/like.ts';
import { rows, sql, type Tx } from '../db/database.ts';
import { asSystem } from '../db/system-scope.ts';
import type { SQL } from 'drizzle-orm';

/**
 * Users, their password history and their sessions are not tenant rows: an organisation's
 * transaction (role prs_app, row-level security on) can neither see a new user before its
 * membership exists (INSERT … RETURNING fails), nor write password history, nor revoke another
 * user's sessions, nor see e-mail addresses used in other organisations. The few statements
 * that must reach those rows run as the system role inside the same transaction, and the
 * caller's role is restored afterwards (asSystem). Callers have already scoped the user to their
 * organisation (or are creating a new one).
 */

export interface UserRow {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  contact_number: string;
  address: string;
  bio: string;
  profile_picture: string | null;
  status: string;
  is_active: boolean;
  is_superuser: boolean;
  must_change_password: boolean;
  sales_target: string;
  login_count: number;
  last_login: string | null;
  totp_enabled: boolean;
  created_at: string;
  organization_id: string | null;
  organization_name: string | null;
  role_id: string | null;
  role_name: string | null;
  membership_active: boolean | null;
}

const USER_COLUMNS = sql`u.id, u.email, u.username, u.first_name, u.last_name, u.contact_number, u.address, u.bio,
  u.profile_picture, CASE WHEN m.is_active = false THEN 'inactive' ELSE u.status END AS status, u.is_active, u.is_superuser,
  u.must_change_password, COALESCE(m.sales_target, 0)::numeric(16, 2)::text AS sales_target,
  u.login_count, u.last_login, u.totp_enabled, u.created_at`;

/**
 * Users seen through one organisation's accepted memberships: that organisation's role, target
 * and active flag (`users.sales_target` is no longer read). Pending invitees are not members yet.
 */
function inOrg(orgId: string) {
  return sql`SELECT ${USER_COLUMNS}, m.organization_id, o.name AS organization_name, m.role_id, r.name AS role_name,
      m.is_active AS membership_active
    FROM users u
    JOIN memberships m ON m.user_id = u.id AND m.organization_id = ${orgId} AND m.status = 'active'
    JOIN organizations o ON o.id = m.organization_id
    LEFT JOIN roles r ON r.id = m.role_id`;
}

/**
 * Users with one accepted membership, for platform-wide views without an organisation: the
 * organisation they last worked in, else their earliest.
 */
const WITH_PRIMARY_MEMBERSHIP = sql`SELECT ${USER_COLUMNS}, m.organization_id, o.name AS organization_name, m.role_id,
    r.name AS role_name, m.is_active AS membership_active
  FROM users u
  LEFT JOIN LATERAL (SELECT * FROM memberships mm WHERE mm.user_id = u.id AND mm.status = 'active'
    ORDER BY mm.organization_id IS NOT DISTINCT FROM u.last_organization_id DESC, mm.created_at, mm.id LIMIT 1) m ON true
  LEFT JOIN organizations o ON o.id = m.organization_id
  LEFT JOIN roles r ON r.id = m.role_id`;

/**
 * The organisation a Super Admin without an organisation of their own reaches a person through:
 * the one the person last worked in, else their earliest accepted membership.
 */
export async function primaryOrganisation(tx: Tx, userId: string): Promise<string | undefined> {
  const [m] = await asSystem(tx, () =>
    rows<{ organization_id: string }>(
      tx,
      sql`SELECT m.organization_id FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.user_id = ${userId} AND m.status = 'active'
          ORDER BY m.organization_id IS NOT DISTINCT FROM u.last_organization_id DESC, m.created_at, m.id LIMIT 1`,
    ),
  );
  return m?.organization_id;
}

export interface UserFilters {
  orgId: string | null;
  role?: string | undefined;
  search?: string | undefined;
  email?: string | undefined;
  isActive?: boolean | undefined;
  ordering: SQL;
  limit: number;
  offset: number;
}

export async function listUsers(tx: Tx, f: UserFilters): Promise<{ count: number; rows: UserRow[] }> {
  const base = f.orgId ? inOrg(f.orgId) : WITH_PRIMARY_MEMBERSHIP;
  const where: SQL[] = [sql`true`];
  if (f.role) where.push(sql`lower(r.name) = lower(${f.role})`);
  if (f.email) where.push(sql`u.email = lower(${f.email})`);
  if (f.isActive !== undefined) where.push(sql`(u.is_active AND COALESCE(m.is_active, true)) = ${f.isActive}`);
  if (f.search) {
    const like = containsPattern(f.search);
    where.push(sql`(u.email ILIKE ${like} OR u.first_name ILIKE ${like} OR u.last_name ILIKE ${like} OR (u.first_name || ' ' || u.last_name) ILIKE ${like})`);
  }
  const filtered = sql`${base} WHERE ${sql.join(where, sql` AND `)}`;
  const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM (${filtered}) q`);
  const page = await rows<UserRow>(tx, sql`${filtered} ORDER BY ${f.ordering}, u.id LIMIT ${f.limit} OFFSET ${f.offset}`);
  return { count: counted?.n ?? 0, rows: page };
}

export async function findUserInOrg(tx: Tx, orgId: string, userId: string): Promise<UserRow | undefined> {
  const [row] = await rows<UserRow>(tx, sql`${inOrg(orgId)} WHERE u.id = ${userId}`);
  return row;
}

/** A user with the membership of the given organisation, or their primary one (see WITH_PRIMARY_MEMBERSHIP). */
export async function findUser(tx: Tx, userId: string, orgId: string | null): Promise<UserRow | undefined> {
  if (orgId) {
    const inThisOrg = await findUserInOrg(tx, orgId, userId);
    if (inThisOrg) return inThisOrg;
  }
  const [row] = await rows<UserRow>(tx, sql`${WITH_PRIMARY_MEMBERSHIP} WHERE u.id = ${userId}`);
  return row;
}

/** E-mail addresses are unique across the platform, so this looks beyond the organisation. */
export async function emailTaken(tx: Tx, email: string, exceptUserId?: string): Promise<boolean> {
  const found = await asSystem(tx, () =>
    rows(tx, sql`SELECT 1 FROM users WHERE email = lower(${email}) AND id <> ${exceptUserId ?? '0'}`),
  );
  return found.length > 0;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  username: string;
  firstName: string;
  lastName: string;
  contactNumber: string;
  address: string;
  mustChangePassword: boolean;
  isActive: boolean;
  isSuperuser?: boolean;
}

export async function insertUser(tx: Tx, u: NewUser): Promise<string> {
  return asSystem(tx, () => insertUserRow(tx, u));
}

async function insertUserRow(tx: Tx, u: NewUser): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO users (email, password_hash, username, first_name, last_name, contact_number, address,
          must_change_password, password_changed_at, is_active, status, is_superuser)
        VALUES (lower(${u.email}), ${u.passwordHash}, ${u.username}, ${u.firstName}, ${u.lastName}, ${u.contactNumber}, ${u.address},
          ${u.mustChangePassword}, now(), ${u.isActive}, ${u.isActive ? 'active' : 'inactive'}, ${u.isSuperuser ?? false})
        RETURNING id`,
  );
  await tx.execute(sql`INSERT INTO password_history (user_id, password_hash) VALUES (${row!.id}, ${u.passwordHash})`);
  return row!.id;
}

/**
 * An accepted membership. Its membership role follows the PRS role: the first holder of the
 * default Org Admin role in an organisation that has no owner becomes its owner, later ones are
 * admins, everyone else a member.
 */
export async function insertMembership(tx: Tx, orgId: string, userId: string, roleId: string | null, salesTarget?: string) {
  await tx.execute(sql`INSERT INTO memberships (organization_id, user_id, role_id, membership_role, accepted_at, sales_target)
    VALUES (${orgId}, ${userId}, ${roleId},
      CASE WHEN NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = ${roleId} AND r.is_default AND r.name = 'Org Admin') THEN 'member'
           WHEN EXISTS (SELECT 1 FROM memberships o WHERE o.organization_id = ${orgId} AND o.membership_role = 'owner') THEN 'admin'
           ELSE 'owner' END,
      now(), ${salesTarget ?? '0'})
    ON CONFLICT (organization_id, user_id) DO UPDATE SET role_id = EXCLUDED.role_id, is_active = true, status = 'active'`);
}

export async function setMembershipRole(tx: Tx, orgId: string, userId: string, roleId: string) {
  await tx.execute(sql`UPDATE memberships SET role_id = ${roleId} WHERE organization_id = ${orgId} AND user_id = ${userId}`);
}

/** Activates or deactivates one organisation's membership (who deactivated it is kept). */
export async function setMembershipActive(tx: Tx, orgId: string, userId: string, active: boolean, by: string | null = null) {
  await tx.execute(sql`UPDATE memberships SET is_active = ${active}, deactivated_by = ${active ? null : by}
    WHERE organization_id = ${orgId} AND user_id = ${userId} AND status = 'active'`);
}

/** One organisation's sales target for a person (their membership's). */
export async function setMembershipSalesTarget(tx: Tx, orgId: string, userId: string, target: string) {
  await tx.execute(sql`UPDATE memberships SET sales_target = ${target} WHERE organization_id = ${orgId} AND user_id = ${userId}`);
}

/**
 * Whether the current organisation alone holds this person (a membership here and none anywhere
 * else): only then may it change the person's identity (name, e-mail, password, activity).
 */
export async function identityOwnedByCurrentOrg(tx: Tx, userId: string): Promise<boolean> {
  const [row] = await rows<{ owned: boolean }>(tx, sql`SELECT app.identity_owned_by_current_org(${userId}) AS owned`);
  return row?.owned === true;
}

export interface UserPatch {
  email?: string | undefined;
  username?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  contact_number?: string | undefined;
  address?: string | undefined;
  bio?: string | undefined;
  status?: string | undefined;
  is_active?: boolean | undefined;
  profile_picture?: string | null | undefined;
}

/**
 * Writes identity columns of a person. Row-level security (`users_write`) lets an organisation
 * write only a person it alone holds (or the caller themself); `system` is for a Super Admin,
 * who may change anyone. Answers the number of rows written (0 when row-level security refused).
 */
export async function updateUser(tx: Tx, userId: string, patch: UserPatch, options: { system?: boolean } = {}): Promise<number> {
  const sets: SQL[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    sets.push(sql`${sql.identifier(key)} = ${key === 'email' ? String(value).toLowerCase() : value}`);
  }
  if (!sets.length) return 0;
  const write = async () => {
    const written = await rows<{ id: string }>(tx, sql`UPDATE users SET ${sql.join(sets, sql`, `)} WHERE id = ${userId} RETURNING id`);
    return written.length;
  };
  return options.system ? asSystem(tx, write) : write();
}

export async function revokeUserSessions(tx: Tx, userId: string, reason: string, exceptSessionId?: string) {
  await asSystem(tx, () =>
    tx.execute(sql`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = ${reason}
      WHERE user_id = ${userId} AND revoked_at IS NULL AND id <> ${exceptSessionId ?? '0'}`),
  );
}

export async function isOwner(tx: Tx, orgId: string, userId: string): Promise<boolean> {
  const found = await rows(tx, sql`SELECT 1 FROM memberships WHERE organization_id = ${orgId} AND user_id = ${userId} AND membership_role = 'owner'`);
  return found.length > 0;
}

/** Ends one person's sessions in one organisation only (their other organisations keep theirs). */
export async function revokeMembershipSessions(tx: Tx, userId: string, orgId: string, reason: string) {
  await asSystem(tx, () =>
    tx.execute(sql`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = ${reason}
      WHERE user_id = ${userId} AND organization_id = ${orgId} AND revoked_at IS NULL`),
  );
}

export async function queueEmail(tx: Tx, to: string, subject: string, body: string, orgId: string | null) {
  await tx.execute(sql`INSERT INTO email_outbox (organization_id, recipient, subject, body) VALUES (${orgId}, ${to}, ${subject}, ${body})`);
}
