// Managing the people of an organisation: list, create (with a generated password and an
// e-mail when none is given), update, role change, deactivation.
import type { SQL } from 'drizzle-orm';
import { sql } from '../db/database.ts';
import type { Actor } from '../http/auth.ts';
import type { ServiceContext } from '../http/context.ts';
import { badRequest, conflict, duplicate, fieldError, forbidden, notFound } from '../http/errors.ts';
import { isId } from '../http/fields.ts';
import { ROLE_NAMES } from '../access/catalog.ts';
import { assertCanAssign, resolveRole } from '../access/service.ts';
import { recordAudit, diff } from '../audit/recorder.ts';
import { invalidateActors } from '../auth/actor-cache.ts';
import { assertAcceptablePassword } from '../auth/password-rules.ts';
import { generatePassword, hashPassword } from '../auth/passwords.ts';
import * as repo from './repo.ts';
import { notifyCreatedInOrg } from '../notifications/triggers.ts';

type Ctx = ServiceContext & { actor: Actor };

const ORDERINGS: Record<string, SQL> = {
  created_at: sql`u.created_at`,
  '-created_at': sql`u.created_at DESC`,
  email: sql`u.email`,
  '-email': sql`u.email DESC`,
  first_name: sql`u.first_name`,
  '-first_name': sql`u.first_name DESC`,
  last_name: sql`u.last_name`,
  '-last_name': sql`u.last_name DESC`,
};

/** "+977-+977-98…" and "+977-undefined" come from the web client's forms. */
export function normaliseContactNumber(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let v = value.trim();
  const doubled = /^(\+\d{1,4})-\1-(.*)$/.exec(v);
  if (doubled) v = `${doubled[1]}-${doubled[2]}`;
  if (/-(undefined|null)$/.test(v) || v === 'undefined') return '';
  return v;
}

function orgOf(ctx: Ctx): string {
  if (!ctx.orgId) throw notFound('No organisation selected.');
  return ctx.orgId;
}

export async function listUsers(
  ctx: Ctx,
  q: { role?: string | undefined; search?: string | undefined; email?: string | undefined; is_active?: boolean | undefined; ordering?: string | undefined },
  page: { limit: number; offset: number },
) {
  const role = q.role ? ((await resolveRoleName(ctx, q.role)) ?? q.role) : undefined;
  return repo.listUsers(ctx.tx, {
    orgId: ctx.orgId,
    role,
    search: q.search || undefined,
    email: q.email,
    isActive: q.is_active,
    ordering: ORDERINGS[q.ordering ?? ''] ?? sql`u.created_at DESC`,
    ...page,
  });
}

async function resolveRoleName(ctx: Ctx, ref: string): Promise<string | undefined> {
  if (!ctx.orgId) return ref;
  return (await resolveRole(ctx, ctx.orgId, ref))?.name;
}

export async function getUser(ctx: Ctx, userId: string) {
  const user = ctx.orgId ? await repo.findUserInOrg(ctx.tx, ctx.orgId, userId) : await repo.findUser(ctx.tx, userId, null);
  if (!user) throw notFound('User not found.');
  return user;
}

export interface CreateUserInput {
  email: string;
  first_name?: string | undefined;
  last_name?: string | undefined;
  username?: string | undefined;
  contact_number?: string | undefined;
  address?: string | undefined;
  password?: string | undefined;
  role?: string | undefined;
  is_active?: boolean | undefined;
  sales_target?: string | undefined;
}

export async function createUser(ctx: Ctx, input: CreateUserInput) {
  const orgId = orgOf(ctx);
  if (await repo.emailTaken(ctx.tx, input.email)) throw duplicate('email', 'A user with this email already exists.');
  const defaultRole = ctx.actor.isSuperuser ? ROLE_NAMES.orgAdmin : ROLE_NAMES.salesperson;
  const role = await resolveRole(ctx, orgId, input.role?.trim() || defaultRole);
  if (!role) throw fieldError('role', `Role '${input.role}' does not exist in this organisation.`);
  assertCanAssign(ctx.actor, role);

  const generated = !input.password;
  const password = input.password ?? generatePassword();
  if (!generated) {
    await assertAcceptablePassword(ctx.tx, password, { email: input.email, firstName: input.first_name, lastName: input.last_name }, 'password');
  }
  const userId = await repo.insertUser(ctx.tx, {
    email: input.email,
    passwordHash: await hashPassword(password),
    username: input.username ?? '',
    firstName: input.first_name ?? '',
    lastName: input.last_name ?? '',
    contactNumber: normaliseContactNumber(input.contact_number) ?? '',
    address: input.address ?? '',
    mustChangePassword: generated,
    isActive: input.is_active ?? true,
  });
  // The target is this organisation's view of the person: it lives on the membership.
  await repo.insertMembership(ctx.tx, orgId, userId, role.id, input.sales_target);
  await repo.queueEmail(
    ctx.tx,
    input.email.toLowerCase(),
    'Your PRS account',
    generated
      ? `An account was created for you. Sign in with this e-mail address and the temporary password ${password} — you will be asked to choose a new one.`
      : 'An account was created for you. Sign in with this e-mail address and the password your administrator gave you.',
    orgId,
  );
  const user = (await repo.findUserInOrg(ctx.tx, orgId, userId))!;
  await recordAudit(ctx, {
    entity: 'user',
    entityId: userId,
    action: 'create',
    newValues: { email: user.email, role: role.name, is_active: user.is_active, generated_password: generated },
  });
  await notifyCreatedInOrg(ctx, 'user', { id: userId, name: `${user.first_name} ${user.last_name}`.trim() || user.email });
  return user;
}

export interface UpdateUserInput {
  email?: string | undefined;
  username?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
  contact_number?: string | undefined;
  address?: string | undefined;
  status?: 'active' | 'inactive' | 'pending' | 'invited' | 'suspended' | undefined;
  is_active?: boolean | undefined;
  role?: string | undefined;
  sales_target?: string | undefined;
}

/** The identity fields of a person (one login, shared by all their organisations). */
const IDENTITY_FIELDS = ['email', 'first_name', 'last_name', 'contact_number', 'address'] as const;

/**
 * Who may write a person's identity (name, e-mail, contact, activity of the login) from this
 * organisation: the organisation that alone holds them, the person themself, a Super Admin.
 */
async function identityAccess(ctx: Ctx, userId: string): Promise<{ owned: boolean; writable: boolean }> {
  const owned = await repo.identityOwnedByCurrentOrg(ctx.tx, userId);
  return { owned, writable: owned || ctx.actor.isSuperuser || userId === ctx.actor.userId };
}

/**
 * The identity part of an update. For a person another organisation holds too, a value that
 * differs from the stored one is a 403 `identity_not_owned` (nothing is written); the values the
 * web client's edit form sends back unchanged pass, and the username it regenerates on every
 * edit is ignored.
 */
function identityPatch(input: UpdateUserInput, before: repo.UserRow, writable: boolean): repo.UserPatch {
  const wanted: Record<(typeof IDENTITY_FIELDS)[number], string | undefined> = {
    email: input.email?.toLowerCase(),
    first_name: input.first_name,
    last_name: input.last_name,
    contact_number: normaliseContactNumber(input.contact_number),
    address: input.address,
  };
  if (writable) return { ...wanted, username: input.username };
  const changed = IDENTITY_FIELDS.filter((f) => wanted[f] !== undefined && wanted[f] !== before[f]);
  if (changed.length) {
    throw forbidden(
      `Another organisation also holds this person: only they can change their ${changed.join(', ')}.`,
      'identity_not_owned',
    );
  }
  return {};
}

/** Whether an update asks the membership to be active (`is_active` wins over `status`). */
function wantedActive(input: UpdateUserInput, owned: boolean): boolean | undefined {
  if (input.is_active !== undefined) return input.is_active;
  // For a person this organisation alone holds, `status` is the login's own state (as before);
  // for a shared person it can only speak for this organisation's membership.
  if (owned || input.status === undefined) return undefined;
  if (input.status === 'active') return true;
  if (input.status === 'inactive' || input.status === 'suspended') return false;
  return undefined;
}

/**
 * Updates a person as one organisation sees them. The membership fields (role, activity,
 * sales target) are this organisation's; the identity fields only the organisation that alone
 * holds the person may change (see identityPatch). Deactivation ends this organisation's
 * sessions of the person; the login itself and all its sessions only when no other
 * organisation holds them.
 */
export async function updateUser(ctx: Ctx, userId: string, input: UpdateUserInput) {
  const orgId = orgOf(ctx);
  const before = await getUser(ctx, userId);
  const access = await identityAccess(ctx, userId);
  const identity = identityPatch(input, before, access.writable);
  if (identity.email && identity.email !== before.email && (await repo.emailTaken(ctx.tx, identity.email, userId))) {
    throw duplicate('email', 'A user with this email already exists.');
  }
  const self = userId === ctx.actor.userId;
  let roleChange: { id: string; name: string } | undefined;
  if (input.role !== undefined && input.role.trim() !== '' && input.role.toLowerCase() !== before.role_id && input.role.trim().toLowerCase() !== before.role_name?.toLowerCase()) {
    if (self) throw forbidden('You cannot change your own role.', 'self_role_change');
    const role = await resolveRole(ctx, orgId, input.role);
    if (!role) throw fieldError('role', `Role '${input.role}' does not exist in this organisation.`);
    assertCanAssign(ctx.actor, role);
    roleChange = role;
  }
  const active = wantedActive(input, access.owned);
  if (self && active === false) throw badRequest('You cannot deactivate yourself.');
  const login: repo.UserPatch = access.owned
    ? { status: input.status ?? (input.is_active === undefined ? undefined : input.is_active ? 'active' : 'inactive'), is_active: input.is_active }
    : {};
  await repo.updateUser(ctx.tx, userId, { ...identity, ...login }, { system: ctx.actor.isSuperuser && !access.owned });
  if (roleChange) await repo.setMembershipRole(ctx.tx, orgId, userId, roleChange.id);
  if (input.sales_target !== undefined) await repo.setMembershipSalesTarget(ctx.tx, orgId, userId, input.sales_target);
  if (active !== undefined) await setActive(ctx, orgId, userId, active, access.owned);
  // Name and e-mail are part of every cached actor of the person; role and activity of this
  // organisation's only.
  const identityWritten = Object.values(identity).some((v) => v !== undefined);
  invalidateActors(ctx, identityWritten ? { kind: 'user', id: userId } : { kind: 'membership', userId, orgId });
  const after = (await repo.findUserInOrg(ctx.tx, orgId, userId))!;
  const changes = diff(
    { ...before, role: before.role_name },
    { email: after.email, first_name: after.first_name, last_name: after.last_name, contact_number: after.contact_number,
      address: after.address, status: after.status, is_active: after.is_active && after.membership_active !== false, sales_target: after.sales_target,
      role: after.role_name, username: after.username },
  );
  if (changes.changed) {
    await recordAudit(ctx, { entity: 'user', entityId: userId, action: roleChange ? 'role_change' : 'update', oldValues: changes.oldValues, newValues: changes.newValues });
  }
  return after;
}

/**
 * This organisation's membership of the person on or off. Turning it off ends the person's
 * sessions in this organisation; when this organisation alone holds the person the login goes
 * with it (`users.is_active`, every session), as it always did.
 */
async function setActive(ctx: Ctx, orgId: string, userId: string, active: boolean, owned: boolean) {
  // An organisation always keeps an active owner: hand it over first (transfer_ownership).
  if (!active && (await repo.isOwner(ctx.tx, orgId, userId))) throw conflict('Transfer ownership before deactivating the owner.', 'last_owner');
  await repo.setMembershipActive(ctx.tx, orgId, userId, active, ctx.actor.userId);
  if (active) return;
  await repo.revokeMembershipSessions(ctx.tx, userId, orgId, 'deactivated');
  invalidateActors(ctx, { kind: 'membership', userId, orgId });
  if (owned) {
    await repo.revokeUserSessions(ctx.tx, userId, 'deactivated');
    invalidateActors(ctx, { kind: 'user', id: userId });
  }
}

/** Deactivation, not deletion: the user's records (deals, approvals, audit) keep their author. */
export async function deactivateUser(ctx: Ctx, userId: string) {
  if (userId === ctx.actor.userId) throw badRequest('You cannot deactivate yourself.');
  const orgId = orgOf(ctx);
  const before = await getUser(ctx, userId);
  if (before.is_superuser && !ctx.actor.isSuperuser) throw forbidden();
  const { owned } = await identityAccess(ctx, userId);
  if (owned) await repo.updateUser(ctx.tx, userId, { is_active: false, status: 'inactive' });
  await setActive(ctx, orgId, userId, false, owned);
  await recordAudit(ctx, { entity: 'user', entityId: userId, action: 'deactivate', oldValues: { is_active: before.is_active && before.membership_active !== false }, newValues: { is_active: false } });
}

export async function bulkAssignRoles(ctx: Ctx, assignments: { user_id: string; role_id: string }[]) {
  const orgId = orgOf(ctx);
  const successful: { user_id: string; user_email: string; role_id: string; role_name: string }[] = [];
  const failed: { assignment: { user_id: string; role_id: string }; error: string }[] = [];
  for (const a of assignments) {
    // A malformed id is reported like an unknown one instead of failing the whole batch.
    const user = isId(a.user_id) ? await repo.findUserInOrg(ctx.tx, orgId, a.user_id) : undefined;
    const role = user ? await resolveRole(ctx, orgId, a.role_id) : undefined;
    if (!user || !role) {
      failed.push({ assignment: a, error: !user ? 'User not found.' : 'Role not found.' });
      continue;
    }
    if (user.id === ctx.actor.userId) {
      failed.push({ assignment: a, error: 'You cannot change your own role.' });
      continue;
    }
    try {
      assertCanAssign(ctx.actor, role);
    } catch {
      failed.push({ assignment: a, error: 'You cannot assign a role with permissions you do not hold.' });
      continue;
    }
    await repo.setMembershipRole(ctx.tx, orgId, user.id, role.id);
    invalidateActors(ctx, { kind: 'user', id: user.id });
    await recordAudit(ctx, { entity: 'user', entityId: user.id, action: 'role_change', oldValues: { role: user.role_name }, newValues: { role: role.name } });
    successful.push({ user_id: user.id, user_email: user.email, role_id: role.id, role_name: role.name });
  }
  return { successful_assignments: successful, failed_assignments: failed, summary: { total: assignments.length, successful: successful.length, failed: failed.length } };
}
