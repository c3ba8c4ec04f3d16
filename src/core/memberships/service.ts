// A person's memberships (/api/user-organizations/) and invitations (/api/invitations/): the
// person sees and ends their own in every organisation; an organisation's owner and admins
// manage those of the active organisation. One organisation never changes another's view of the
// person, nor the person themself (their users row).
import type { Actor } from '../http/auth.ts';
import type { ServiceContext } from '../http/context.ts';
import { asSystem } from '../db/system-scope.ts';
import { conflict, fieldError, forbidden, notFound } from '../http/errors.ts';
import { assertCanAssign, resolveRole } from '../access/service.ts';
import { recordAudit, type AuditEntry } from '../audit/recorder.ts';
import { invalidateActors } from '../auth/actor-cache.ts';
import { notify } from '../notifications/service.ts';
import { queueEmail, revokeMembershipSessions } from '../users/repo.ts';
import { assertOwnerOrAdmin, isOwnerOrAdmin } from './access.ts';
import * as repo from './repo.ts';

type Ctx = ServiceContext & { actor: Actor };

const who = (actor: Actor) => `${actor.firstName} ${actor.lastName}`.trim() || actor.email;

/** Audit rows land in the membership's organisation, which need not be the active one. */
export const auditMembership = (ctx: Ctx, m: { id: string; organization_id: string }, entry: Omit<AuditEntry, 'entity' | 'entityId' | 'organizationId'>) =>
  asSystem(ctx.tx, () => recordAudit(ctx, { entity: 'membership', entityId: m.id, organizationId: m.organization_id, ...entry }));

async function reload(ctx: Ctx, id: string): Promise<repo.MembershipRow> {
  return (await repo.findMembership(ctx.tx, id))!;
}

export function listOwnMemberships(ctx: Ctx, page: { limit: number; offset: number }) {
  return repo.listOwnMemberships(ctx.tx, ctx.actor.userId, { status: 'all', ...page });
}

/** Your own membership anywhere, or one of the active organisation when you own or administer it. */
export async function getMembership(ctx: Ctx, id: string): Promise<repo.MembershipRow> {
  const m = await repo.findMembership(ctx.tx, id);
  if (m && (m.user_id === ctx.actor.userId || (inReach(ctx, m) && (await isOwnerOrAdmin(ctx, m.organization_id))))) return m;
  throw notFound('Membership not found.');
}

/** A membership of the active organisation (any for a Super Admin); anything else is not found. */
const inReach = (ctx: Ctx, m: repo.MembershipRow) => ctx.actor.isSuperuser || m.organization_id === ctx.orgId;

async function managed(ctx: Ctx, id: string) {
  const m = await repo.findMembership(ctx.tx, id);
  if (!m || !inReach(ctx, m)) throw notFound('Membership not found.');
  const standing = await assertOwnerOrAdmin(ctx, m.organization_id);
  if (m.membership_role === 'owner' && standing === 'admin') throw forbidden("Admins cannot change the owner's membership.", 'owner_protected');
  return { m, standing };
}

export async function updateMembership(ctx: Ctx, id: string, input: { membership_role?: repo.MembershipRole | undefined; role?: string | undefined }) {
  const { m } = await managed(ctx, id);
  const self = m.user_id === ctx.actor.userId;
  if (input.membership_role === 'owner') throw fieldError('membership_role', 'Use transfer_ownership to make someone the owner.');
  const roleChange = input.membership_role !== undefined && input.membership_role !== m.membership_role;
  let newRole: { id: string; name: string } | undefined;
  if (input.role !== undefined && input.role.trim() !== '') {
    const role = await asSystem(ctx.tx, () => resolveRole(ctx, m.organization_id, input.role!));
    if (!role) throw fieldError('role', `Role '${input.role}' does not exist in this organisation.`);
    if (role.id !== m.role_id) {
      assertCanAssign(ctx.actor, role);
      newRole = role;
    }
  }
  if ((roleChange || newRole) && self) throw forbidden('You cannot change your own role.', 'self_role_change');
  if (roleChange && m.membership_role === 'owner') throw fieldError('membership_role', 'Use transfer_ownership to give the organisation another owner.');
  if (!roleChange && !newRole) return m;
  await asSystem(ctx.tx, async () => {
    if (roleChange) await repo.setMembershipRole(ctx.tx, m.id, input.membership_role!);
    if (newRole) await repo.setRole(ctx.tx, m.id, newRole.id);
  });
  invalidateActors(ctx, { kind: 'membership', userId: m.user_id, orgId: m.organization_id });
  await auditMembership(ctx, m, {
    action: 'update',
    oldValues: { ...(roleChange ? { membership_role: m.membership_role } : {}), ...(newRole ? { role: m.role_name } : {}) },
    newValues: { ...(roleChange ? { membership_role: input.membership_role } : {}), ...(newRole ? { role: newRole.name } : {}) },
  });
  return reload(ctx, m.id);
}

/**
 * Ends a membership: the member leaving, or the organisation's owner or admin removing them. The
 * person's sessions and socket tokens in that organisation end; their other organisations'
 * stay. The owner cannot leave (transfer first) and no admin removes them. Idempotent.
 */
export async function deactivateMembership(ctx: Ctx, id: string) {
  const m = await repo.findMembership(ctx.tx, id);
  const self = m?.user_id === ctx.actor.userId;
  if (!m || (!self && !inReach(ctx, m))) throw notFound('Membership not found.');
  if (!self) {
    const standing = await assertOwnerOrAdmin(ctx, m.organization_id);
    if (m.membership_role === 'owner' && standing === 'admin') throw forbidden('Admins cannot deactivate the owner.', 'owner_protected');
  }
  if (!m.is_active) return m;
  if (m.membership_role === 'owner') throw conflict('Transfer ownership before leaving.', 'last_owner');
  await repo.deactivate(ctx.tx, m.id, { self, userId: ctx.actor.userId });
  await revokeMembershipSessions(ctx.tx, m.user_id, m.organization_id, 'membership_deactivated');
  await repo.deleteWsTokens(ctx.tx, m.user_id, m.organization_id);
  invalidateActors(ctx, { kind: 'membership', userId: m.user_id, orgId: m.organization_id });
  await auditMembership(ctx, m, { action: self ? 'leave' : 'deactivate', oldValues: { is_active: true }, newValues: { is_active: false } });
  return reload(ctx, m.id);
}

/**
 * Re-opens an ended membership as an invitation the person accepts again, unless the
 * organisation alone holds the person (it created them and they belong nowhere else).
 */
export async function activateMembership(ctx: Ctx, id: string) {
  const { m } = await managed(ctx, id);
  if (m.is_active || m.status === 'pending') return m;
  if (m.organization_id === ctx.orgId && (await repo.identityOwnedByCurrentOrg(ctx.tx, m.user_id))) {
    await repo.accept(ctx.tx, m.id, ctx.actor.userId);
    invalidateActors(ctx, { kind: 'membership', userId: m.user_id, orgId: m.organization_id });
    await auditMembership(ctx, m, { action: 'activate', oldValues: { is_active: false }, newValues: { is_active: true } });
    return reload(ctx, m.id);
  }
  const email = (await repo.emailOf(ctx.tx, m.user_id))!;
  await asSystem(ctx.tx, () =>
    repo.upsertInvitation(ctx.tx, { orgId: m.organization_id, userId: m.user_id, roleId: m.role_id, membershipRole: m.membership_role, invitedBy: ctx.actor.userId, email }),
  );
  await sendInvitation(ctx, { id: m.id, orgId: m.organization_id, orgName: m.organization_name, userId: m.user_id, email });
  await auditMembership(ctx, m, { action: 'invite', newValues: { status: 'pending', invited_email: email } });
  return reload(ctx, m.id);
}

/** The invitee hears of it outside any organisation (a notification of no organisation) and by e-mail. */
export async function sendInvitation(ctx: Ctx, inv: { id: string; orgId: string; orgName: string; userId: string; email: string }) {
  const text = `${who(ctx.actor)} invited you to join ${inv.orgName} on PRS. Accept or decline the invitation under your invitations.`;
  await asSystem(ctx.tx, async () => {
    await notify(ctx, {
      recipients: [inv.userId],
      type: 'organization_invitation',
      priority: 'medium',
      title: `Invitation to join ${inv.orgName}`,
      message: text,
      data: { membership_id: Number(inv.id), organization_id: Number(inv.orgId), organization_name: inv.orgName },
      actionUrl: '/invitations',
      related: { type: 'membership', id: inv.id },
      organizationId: null,
    });
    await queueEmail(ctx.tx, inv.email, `Invitation to join ${inv.orgName}`, `${text}\nSign in with your existing PRS account to answer it.`, inv.orgId);
  });
}

export function listInvitations(ctx: Ctx, page: { limit: number; offset: number }) {
  return repo.listOwnMemberships(ctx.tx, ctx.actor.userId, { status: 'pending', ...page });
}

async function ownInvitation(ctx: Ctx, id: string) {
  const m = await repo.findMembership(ctx.tx, id);
  if (!m || m.user_id !== ctx.actor.userId || m.status !== 'pending') throw notFound('Invitation not found.');
  return m;
}

export async function acceptInvitation(ctx: Ctx, id: string) {
  const m = await ownInvitation(ctx, id);
  await repo.accept(ctx.tx, m.id, ctx.actor.userId);
  invalidateActors(ctx, { kind: 'membership', userId: m.user_id, orgId: m.organization_id });
  await auditMembership(ctx, m, { action: 'accept', oldValues: { status: 'pending' }, newValues: { status: 'active', is_active: true } });
  return reload(ctx, m.id);
}

export async function declineInvitation(ctx: Ctx, id: string) {
  const m = await ownInvitation(ctx, id);
  await repo.deleteMembership(ctx.tx, m.id);
  await auditMembership(ctx, m, { action: 'decline', oldValues: { status: 'pending', invited_email: m.invited_email } });
}
