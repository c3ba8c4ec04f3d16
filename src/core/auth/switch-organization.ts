// Switching the active organisation: a new session (and token pair) issued for another of the
// person's organisations. The calling session stays valid in its own organisation — tokens are
// per organisation, so a second browser tab keeps working where it was.
import { rows, sql, type Tx } from '../db/database.ts';
import type { Actor } from './actor.ts';
import type { RequestMeta } from '../http/service-context.ts';
import { notFound } from '../http/errors.ts';
import { isId } from '../http/fields.ts';
import type { AuthKit } from './kit.ts';
import { openSession, type IssuedSession } from './sessions.ts';

/** Runs in system scope: the person's memberships in other organisations are what it reads. */
export async function switchOrganization(kit: AuthKit, tx: Tx, meta: RequestMeta, actor: Actor, organization: string): Promise<IssuedSession> {
  const orgId = isId(organization) ? organization : null;
  const [membership] = orgId
    ? await rows<{ organization_id: string }>(
        tx,
        sql`SELECT m.organization_id FROM memberships m JOIN organizations o ON o.id = m.organization_id
            WHERE m.user_id = ${actor.userId} AND m.organization_id = ${orgId} AND m.is_active AND m.status = 'active' AND o.is_active`,
      )
    : [];
  // Not a member, invited only, deactivated, an inactive organisation or no such id: one answer.
  if (!membership) throw notFound('Organisation not found.');
  return openSession(kit, tx, meta, actor.userId, membership.organization_id, { sessionId: actor.sessionId, orgId: actor.sessionOrgId });
}
