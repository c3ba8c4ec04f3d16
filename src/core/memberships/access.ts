// Who may manage an organisation's memberships: its owner, its admins (membership roles, read
// from the database) and Super Admins, who pass every owner/admin check.
import type { Actor } from '../auth/actor.ts';
import type { Tx } from '../db/database.ts';
import { forbidden } from '../http/errors.ts';
import { activeMembershipRole, type MembershipRole } from './repo.ts';

export interface AccessCtx {
  tx: Tx;
  actor: Actor;
}

/** The caller's membership role in `orgId`, or 'superuser'; undefined when they are no active member. */
export async function standingIn(ctx: AccessCtx, orgId: string): Promise<MembershipRole | 'superuser' | undefined> {
  if (ctx.actor.isSuperuser) return 'superuser';
  return activeMembershipRole(ctx.tx, orgId, ctx.actor.userId);
}

export async function isOwnerOrAdmin(ctx: AccessCtx, orgId: string): Promise<boolean> {
  const standing = await standingIn(ctx, orgId);
  return standing === 'superuser' || standing === 'owner' || standing === 'admin';
}

export async function assertOwnerOrAdmin(ctx: AccessCtx, orgId: string): Promise<MembershipRole | 'superuser'> {
  const standing = await standingIn(ctx, orgId);
  if (standing === 'superuser' || standing === 'owner' || standing === 'admin') return standing;
  throw forbidden('Only organization owners and admins can do this.', 'owner_or_admin_required');
}

export async function assertOwner(ctx: AccessCtx, orgId: string, detail = 'Only organization owners can do this.'): Promise<void> {
  const standing = await standingIn(ctx, orgId);
  if (standing !== 'superuser' && standing !== 'owner') throw forbidden(detail, 'owner_required');
}
