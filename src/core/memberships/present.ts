// Response shapes of memberships: an organisation's members, a person's own memberships, and
// their invitations. A pending member's name and e-mail stay hidden from the organisation.
import { z } from 'zod';
import { wireId } from '../http/fields.ts';
import type { MembershipRow } from './repo.ts';

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

const RoleRef = z.object({ id: wireId, name: z.string() }).nullable();

export const MemberOut = z.object({
  id: wireId,
  organization: wireId,
  user: z.object({ id: wireId, email: z.string(), first_name: z.string(), last_name: z.string(), full_name: z.string() }).nullable(),
  invited_email: z.string().nullable(),
  membership_role: z.enum(['owner', 'admin', 'member']),
  is_owner: z.boolean(),
  role: RoleRef,
  is_active: z.boolean(),
  status: z.enum(['pending', 'active']),
  joined_at: z.string().nullable(),
  left_at: z.string().nullable(),
  invited_by: wireId.nullable(),
  invitation_accepted_at: z.string().nullable(),
});

export const OwnMembershipOut = MemberOut.extend({ organization_name: z.string() });

export const InvitationOut = z.object({
  id: wireId,
  organization: wireId,
  organization_name: z.string(),
  invited_by_name: z.string().nullable(),
  invited_at: z.string().nullable(),
  membership_role: z.enum(['owner', 'admin', 'member']),
  role: RoleRef,
});

export const MembershipMessageOut = z.object({ message: z.string(), membership: OwnMembershipOut });

const roleRef = (m: MembershipRow) => (m.role_id ? { id: m.role_id, name: m.role_name ?? '' } : null);

export function presentMember(m: MembershipRow): z.infer<typeof OwnMembershipOut> {
  const user =
    m.email === null
      ? null
      : {
          id: m.user_id,
          email: m.email,
          first_name: m.first_name ?? '',
          last_name: m.last_name ?? '',
          full_name: `${m.first_name ?? ''} ${m.last_name ?? ''}`.trim(),
        };
  return {
    id: m.id,
    organization: m.organization_id,
    organization_name: m.organization_name,
    user,
    invited_email: m.invited_email,
    membership_role: m.membership_role,
    is_owner: m.membership_role === 'owner',
    role: roleRef(m),
    is_active: m.is_active,
    status: m.status,
    joined_at: m.status === 'active' ? iso(m.accepted_at ?? m.created_at) : null,
    left_at: iso(m.left_at),
    invited_by: m.invited_by,
    invitation_accepted_at: iso(m.accepted_at),
  };
}

export function presentInvitation(m: MembershipRow): z.infer<typeof InvitationOut> {
  return {
    id: m.id,
    organization: m.organization_id,
    organization_name: m.organization_name,
    invited_by_name: m.invited_by_name,
    invited_at: iso(m.invited_at),
    membership_role: m.membership_role,
    role: roleRef(m),
  };
}
