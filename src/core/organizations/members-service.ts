// An organisation's people as memberships: the owner rules (only the owner edits, deletes or
// hands over the organisation), the member list, adding a member (a new account, or an
// invitation an existing person accepts) and the owner's confirmation of an invitation.
import type { Actor } from '../http/auth.ts';
import { hasPermission } from '../http/auth.ts';
import type { ServiceContext } from '../http/context.ts';
import { asSystem } from '../db/system-scope.ts';
import { badRequest, conflict, duplicate, fieldError, forbidden, notFound } from '../http/errors.ts';
import { ROLE_NAMES } from '../access/catalog.ts';
import { assertCanAssign, resolveRole } from '../access/service.ts';
import { recordAudit } from '../audit/recorder.ts';
import { invalidateActors } from '../auth/actor-cache.ts';
import { createUser } from '../users/service.ts';
import { assertOwner, standingIn } from '../memberships/access.ts';
import * as memberships from '../memberships/repo.ts';
import { auditMembership, sendInvitation } from '../memberships/service.ts';
import * as repo from './repo.ts';
import { getOrganization } from './service.ts';

type Ctx = ServiceContext & { actor: Actor };

/**
 * Editing the organisation is the owner's (and the platform's). An organisation that has no
 * owner (migrated without an Org Admin) leaves it to holders of `organization:change`.
 */
export async function assertMayEditOrganization(ctx: Ctx, orgId: string) {
  const standing = await standingIn(ctx, orgId);
  if (standing === 'superuser' || standing === 'owner') return;
  if (hasPermission(ctx.actor, 'organization:change') && !(await memberships.ownerOf(ctx.tx, orgId))) return;
  throw forbidden('Only organization owners can update the organisation.', 'owner_required');
}

/** The owner deletes their organisation only once nobody else belongs to it (Super Admins: see deleteOrganization). */
export async function deleteOwnOrganization(ctx: Ctx, orgId: string) {
  await assertOwner(ctx, orgId, 'Only organization owners can delete the organisation.');
  const org = await getOrganization(ctx.tx, orgId);
  const others = (await repo.countMembers(ctx.tx, orgId)) - 1;
  if (others > 0) {
    throw conflict(
      `Cannot delete "${org.name}": it has associated data (protected foreign keys: ${others} other member(s)). Remove them or deactivate it instead.`,
      'protected',
    );
  }
  await asSystem(ctx.tx, async () => {
    await recordAudit(ctx, { entity: 'organization', entityId: orgId, action: 'delete', organizationId: null, oldValues: { name: org.name } });
    await repo.deleteOrganization(ctx.tx, orgId);
  });
  invalidateActors(ctx, { kind: 'org', id: orgId });
}

export async function transferOwnership(ctx: Ctx, orgId: string, userId: string) {
  await assertOwner(ctx, orgId, 'Only organization owners can transfer ownership.');
  if (userId === ctx.actor.userId) throw fieldError('user_id', 'You cannot transfer ownership to yourself.');
  const target = await memberships.findMembershipOf(ctx.tx, orgId, userId);
  if (!target || target.status !== 'active' || !target.is_active) throw notFound('Member not found.');
  if (target.membership_role === 'owner') throw fieldError('user_id', 'This member already owns the organisation.');
  const previous = await memberships.ownerOf(ctx.tx, orgId);
  await memberships.transferOwnership(ctx.tx, orgId, target.id);
  for (const person of [previous, userId]) if (person) invalidateActors(ctx, { kind: 'membership', userId: person, orgId });
  await recordAudit(ctx, {
    entity: 'organization',
    entityId: orgId,
    action: 'transfer_ownership',
    organizationId: orgId,
    oldValues: { owner: previous ?? null },
    newValues: { owner: userId },
  });
  return { message: 'Ownership transferred.', organization: orgId, owner: { user_id: userId, email: target.email ?? '' } };
}

export interface MemberQuery {
  status: memberships.StatusFilter;
  is_active?: boolean | undefined;
  search?: string | undefined;
}

/** Owners, admins and holders of `users:view` see the members; invitations only owners and admins. */
export async function listMembers(ctx: Ctx, orgId: string, q: MemberQuery, page: { limit: number; offset: number }) {
  const standing = await standingIn(ctx, orgId);
  const manager = standing === 'superuser' || standing === 'owner' || standing === 'admin';
  if (!manager && !hasPermission(ctx.actor, 'users:view')) throw forbidden();
  if (!manager && q.status !== 'active') throw forbidden('Only organization owners and admins see invitations and all memberships.', 'owner_or_admin_required');
  return memberships.listMembers(ctx.tx, orgId, { status: q.status, isActive: q.is_active, search: q.search || undefined, ...page });
}

export interface AddMemberInput {
  email: string;
  role?: string | undefined;
  membership_role?: 'admin' | 'member' | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
}

/**
 * A new e-mail gets an account (as user creation makes one: generated password e-mailed, to be
 * changed) and an active membership. An existing person gets a pending membership they accept;
 * their account is never touched.
 */
export async function addMember(ctx: Ctx, orgId: string, input: AddMemberInput) {
  const standing = await standingIn(ctx, orgId);
  if (standing !== 'superuser' && standing !== 'owner' && standing !== 'admin') {
    throw forbidden('Only organization owners and admins can add members.', 'owner_or_admin_required');
  }
  const role = await resolveRole(ctx, orgId, input.role?.trim() || ROLE_NAMES.salesperson);
  if (!role) throw fieldError('role', `Role '${input.role}' does not exist in this organisation.`);
  assertCanAssign(ctx.actor, role);

  const existing = await memberships.userIdByEmail(ctx.tx, input.email);
  if (!existing) {
    const user = await createUser(ctx, { email: input.email, first_name: input.first_name, last_name: input.last_name, role: role.id });
    const created = (await memberships.findMembershipOf(ctx.tx, orgId, user.id))!;
    if (input.membership_role && created.membership_role !== 'owner' && created.membership_role !== input.membership_role) {
      await memberships.setMembershipRole(ctx.tx, created.id, input.membership_role);
    }
    await auditMembership(ctx, created, { action: 'create', newValues: { user_id: user.id, role: role.name, membership_role: input.membership_role ?? created.membership_role } });
    return { message: 'Account created and added to the organisation.', membership: (await memberships.findMembership(ctx.tx, created.id))!, user_created: true };
  }

  const current = await memberships.findMembershipOf(ctx.tx, orgId, existing);
  if (current?.status === 'pending') {
    const message = 'This person has already been invited to this organisation.';
    throw conflict(message, 'already_invited', fieldError('email', message).fields);
  }
  if (current?.is_active) throw duplicate('email', 'This person is already a member of this organisation.');
  if (current?.membership_role === 'owner') throw badRequest('The owner of the organisation cannot be invited again.');
  const membershipRole = input.membership_role ?? (role.name === ROLE_NAMES.orgAdmin ? 'admin' : 'member');
  const id = await memberships.upsertInvitation(ctx.tx, { orgId, userId: existing, roleId: role.id, membershipRole, invitedBy: ctx.actor.userId, email: input.email.toLowerCase() });
  const org = await getOrganization(ctx.tx, orgId);
  await sendInvitation(ctx, { id, orgId, orgName: org.name, userId: existing, email: input.email.toLowerCase() });
  await auditMembership(ctx, { id, organization_id: orgId }, { action: 'invite', newValues: { invited_email: input.email.toLowerCase(), role: role.name, membership_role: membershipRole } });
  return { message: 'Invitation sent; the person joins once they accept it.', membership: (await memberships.findMembership(ctx.tx, id))!, user_created: false };
}

/** The owner accepts an invitation on the person's behalf. */
export async function confirmMember(ctx: Ctx, orgId: string, membershipId: string) {
  await assertOwner(ctx, orgId, 'Only organization owners can confirm a membership.');
  const m = await memberships.findMembership(ctx.tx, membershipId);
  if (!m || m.organization_id !== orgId) throw notFound('Membership not found.');
  if (m.status !== 'pending') throw conflict('This membership is not waiting for confirmation.', 'not_pending');
  await memberships.accept(ctx.tx, m.id, ctx.actor.userId);
  invalidateActors(ctx, { kind: 'membership', userId: m.user_id, orgId });
  await auditMembership(ctx, m, { action: 'confirm', oldValues: { status: 'pending' }, newValues: { status: 'active', is_active: true } });
  return (await memberships.findMembership(ctx.tx, m.id))!;
}
