// Who is acting on a request: a leaf module, so the actor cache and the HTTP layer that fills
// it can both name the type without importing each other.
export interface Actor {
  userId: string;
  sessionId: string;
  email: string;
  firstName: string;
  lastName: string;
  isSuperuser: boolean;
  /** The organisation this request acts in: the session's, or another of the person's named by X-Organization-Id. */
  orgId: string | null;
  orgName: string | null;
  /** The organisation the session (and its tokens) was issued for. */
  sessionOrgId: string | null;
  /** The person's membership role in orgId (owner, admin, member); null without a membership. */
  membershipRole: MembershipRole | null;
  roleId: string | null;
  roleName: string | null;
  permissions: ReadonlySet<string>;
}

export type MembershipRole = 'owner' | 'admin' | 'member';

export type AuthMode = 'required' | 'optional' | 'none';
