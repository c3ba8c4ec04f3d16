// Who is acting on a request: a leaf module, so the actor cache and the HTTP layer that fills
// it can both name the type without importing each other.
export interface Actor {
  userId: string;
  sessionId: string;
  email: string;
  firstName: string;
  lastName: string;
  isSuperuser: boolean;
  orgId: string | null;
  orgName: string | null;
  roleId: string | null;
  roleName: string | null;
  permissions: ReadonlySet<string>;
}

export type AuthMode = 'required' | 'optional' | 'none';
