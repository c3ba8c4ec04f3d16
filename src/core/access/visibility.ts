// Record visibility by permission: all of the organisation, the actor's teams, or own records.
// One rule for clients and deals (and anything else owned by a user).
import type { SQL } from 'drizzle-orm';
import { sql } from '../db/database.ts';
import type { Actor } from '../http/auth.ts';
import { forbidden } from '../http/errors.ts';

export type Visibility = 'all' | 'team' | 'own';

/** The widest visibility the actor holds on a resource, or a 403 when none. */
export function visibilityFor(actor: Actor, resource: 'clients' | 'deals'): Visibility {
  if (actor.isSuperuser || actor.permissions.has(`${resource}:view_all`)) return 'all';
  if (actor.permissions.has(`${resource}:view_team`)) return 'team';
  if (actor.permissions.has(`${resource}:view_own`)) return 'own';
  throw forbidden();
}

/** SQL condition on an owner column: true for rows the actor may see. */
export function visibleTo(visibility: Visibility, actor: Actor, ownerColumn: SQL): SQL {
  if (visibility === 'all') return sql`true`;
  if (visibility === 'own') return sql`${ownerColumn} = ${actor.userId}`;
  // Team: owners who share a team with the actor, members of teams the actor leads, and the actor.
  return sql`(${ownerColumn} = ${actor.userId} OR ${ownerColumn} IN (
    SELECT mate.user_id FROM team_members mine JOIN team_members mate ON mate.team_id = mine.team_id WHERE mine.user_id = ${actor.userId}
    UNION SELECT m.user_id FROM teams t JOIN team_members m ON m.team_id = t.id WHERE t.team_lead_id = ${actor.userId}))`;
}
