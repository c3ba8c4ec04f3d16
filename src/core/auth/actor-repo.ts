// Resolves the caller behind a session in one query: user, organisation membership, role and
// the role's permission codes.
import { rows, sql, type Tx } from '../db/database.ts';

export interface ActorRow {
  session_id: string;
  expires_at: string;
  revoked_at: string | null;
  last_seen_at: string;
  organization_id: string | null;
  organization_name: string | null;
  organization_active: boolean | null;
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_superuser: boolean;
  role_id: string | null;
  role_name: string | null;
  membership_active: boolean | null;
  membership_status: 'pending' | 'active' | null;
  membership_role: 'owner' | 'admin' | 'member' | null;
  session_organization_id: string | null;
  permissions: string[] | null;
}

/** `orgId` names another of the person's organisations to act in (X-Organization-Id); default the session's. */
const selectActor = (orgId?: string) => sql`
  SELECT s.id AS session_id, s.expires_at, s.revoked_at, s.last_seen_at, o.id AS organization_id, s.organization_id AS session_organization_id,
         o.name AS organization_name, o.is_active AS organization_active,
         u.id AS user_id, u.email, u.first_name, u.last_name, u.is_active, u.is_superuser,
         m.role_id, r.name AS role_name, m.is_active AS membership_active, m.status AS membership_status, m.membership_role,
         (SELECT array_agg(p.code) FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
           WHERE rp.role_id = m.role_id) AS permissions
  FROM auth_sessions s
  JOIN users u ON u.id = s.user_id
  LEFT JOIN organizations o ON o.id = ${orgId === undefined ? sql`s.organization_id` : sql`${orgId}::bigint`}
  LEFT JOIN memberships m ON m.user_id = u.id AND m.organization_id = o.id
  LEFT JOIN roles r ON r.id = m.role_id`;

export async function findActorBySessionId(tx: Tx, sessionId: string, orgId?: string): Promise<ActorRow | undefined> {
  const [row] = await rows<ActorRow>(tx, sql`${selectActor(orgId)} WHERE s.id = ${sessionId}`);
  return row;
}

export async function findActorByTokenHash(tx: Tx, tokenHash: string): Promise<ActorRow | undefined> {
  const [row] = await rows<ActorRow>(tx, sql`${selectActor()} WHERE s.token_hash = ${tokenHash}`);
  return row;
}

export async function touchSession(tx: Tx, sessionId: string): Promise<void> {
  await tx.execute(sql`UPDATE auth_sessions SET last_seen_at = now() WHERE id = ${sessionId}`);
}
