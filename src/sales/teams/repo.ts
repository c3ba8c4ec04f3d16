// SQL for teams, their members and their projects. Every statement names the organisation
// explicitly; row-level security is the second line of defence.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';

export interface TeamRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  contact_number: string;
  team_lead_id: string | null;
  lead_first_name: string | null;
  lead_last_name: string | null;
  lead_username: string | null;
  lead_email: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

export interface MemberRow {
  team_id: string;
  id: string;
  first_name: string;
  last_name: string;
  username: string;
  email: string;
}

export interface ProjectRef {
  team_id: string;
  id: string;
  name: string;
}

const TEAM_SELECT = sql`SELECT t.id, t.organization_id, t.name, t.description, t.contact_number, t.team_lead_id,
    l.first_name AS lead_first_name, l.last_name AS lead_last_name, l.username AS lead_username, l.email AS lead_email,
    t.created_at, t.updated_at
  FROM teams t LEFT JOIN users l ON l.id = t.team_lead_id`;

export interface TeamQuery {
  orgId: string;
  conditions: SQL[];
  ordering: SQL;
  limit: number;
  offset: number;
}

export async function listTeams(tx: Tx, q: TeamQuery): Promise<{ count: number; rows: TeamRow[] }> {
  const where = sql.join([sql`t.organization_id = ${q.orgId}`, ...q.conditions], sql` AND `);
  const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM teams t WHERE ${where}`);
  const page = await rows<TeamRow>(tx, sql`${TEAM_SELECT} WHERE ${where} ORDER BY ${q.ordering}, t.id LIMIT ${q.limit} OFFSET ${q.offset}`);
  return { count: counted?.n ?? 0, rows: page };
}

export async function findTeam(tx: Tx, orgId: string, id: string): Promise<TeamRow | undefined> {
  const [row] = await rows<TeamRow>(tx, sql`${TEAM_SELECT} WHERE t.organization_id = ${orgId} AND t.id = ${id}`);
  return row;
}

/** The members of several teams in one query. */
export async function membersOf(tx: Tx, orgId: string, teamIds: string[]): Promise<MemberRow[]> {
  if (!teamIds.length) return [];
  return rows<MemberRow>(
    tx,
    sql`SELECT tm.team_id, u.id, u.first_name, u.last_name, u.username, u.email
      FROM team_members tm JOIN users u ON u.id = tm.user_id
      WHERE tm.organization_id = ${orgId} AND tm.team_id = ANY(${sql.param(teamIds)}::bigint[])
      ORDER BY tm.added_at, u.email, u.id`,
  );
}

/** The projects of several teams in one query. */
export async function projectsOf(tx: Tx, orgId: string, teamIds: string[]): Promise<ProjectRef[]> {
  if (!teamIds.length) return [];
  return rows<ProjectRef>(
    tx,
    sql`SELECT tp.team_id, p.id, p.name
      FROM team_projects tp JOIN projects p ON p.id = tp.project_id AND p.organization_id = tp.organization_id
      WHERE tp.organization_id = ${orgId} AND tp.team_id = ANY(${sql.param(teamIds)}::bigint[])
      ORDER BY p.name, p.id`,
  );
}

/** Those of `userIds` who are active users with an active membership of the organisation. */
export async function activeMemberIds(tx: Tx, orgId: string, userIds: string[]): Promise<Set<string>> {
  if (!userIds.length) return new Set();
  const found = await rows<{ id: string }>(
    tx,
    sql`SELECT u.id FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active AND u.id = ANY(${sql.param(userIds)}::bigint[])`,
  );
  return new Set(found.map((r) => r.id));
}

/** Those of `ids` that are projects of the organisation. */
export async function projectIdsOf(tx: Tx, orgId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const found = await rows<{ id: string }>(
    tx,
    sql`SELECT id FROM projects WHERE organization_id = ${orgId} AND id = ANY(${sql.param(ids)}::bigint[]) ORDER BY id`,
  );
  return found.map((r) => r.id);
}

export async function nameTaken(tx: Tx, orgId: string, name: string, exceptId?: string): Promise<boolean> {
  const found = await rows(
    tx,
    sql`SELECT 1 FROM teams WHERE organization_id = ${orgId} AND lower(name) = lower(${name})
      AND id <> ${exceptId ?? '0'}`,
  );
  return found.length > 0;
}

/** Writable columns (the allow-list of inserts and updates). */
export interface TeamValues {
  name?: string | undefined;
  description?: string | undefined;
  contact_number?: string | undefined;
  team_lead_id?: string | null | undefined;
}

const COLUMNS: (keyof TeamValues)[] = ['name', 'description', 'contact_number', 'team_lead_id'];

export async function insertTeam(tx: Tx, orgId: string, userId: string, values: TeamValues): Promise<string> {
  const present = COLUMNS.filter((k) => values[k] !== undefined);
  const names = [sql`organization_id`, sql`created_by`, ...present.map((k) => sql.identifier(k))];
  const params = [sql`${orgId}`, sql`${userId}`, ...present.map((k) => sql`${values[k]}`)];
  const [row] = await rows<{ id: string }>(tx, sql`INSERT INTO teams (${sql.join(names, sql`, `)}) VALUES (${sql.join(params, sql`, `)}) RETURNING id`);
  return row!.id;
}

export async function updateTeam(tx: Tx, orgId: string, id: string, values: TeamValues): Promise<void> {
  const sets = COLUMNS.filter((k) => values[k] !== undefined).map((k) => sql`${sql.identifier(k)} = ${values[k]}`);
  if (!sets.length) return;
  await tx.execute(sql`UPDATE teams SET ${sql.join(sets, sql`, `)} WHERE organization_id = ${orgId} AND id = ${id}`);
}

export async function deleteTeam(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx.execute(sql`DELETE FROM teams WHERE organization_id = ${orgId} AND id = ${id}`);
}

export async function memberIds(tx: Tx, orgId: string, teamId: string): Promise<string[]> {
  const found = await rows<{ user_id: string }>(
    tx,
    sql`SELECT user_id FROM team_members WHERE organization_id = ${orgId} AND team_id = ${teamId} ORDER BY user_id`,
  );
  return found.map((r) => r.user_id);
}

export async function addMembers(tx: Tx, orgId: string, teamId: string, userIds: string[]): Promise<void> {
  if (!userIds.length) return;
  await tx.execute(
    sql`INSERT INTO team_members (team_id, user_id, organization_id)
      SELECT ${teamId}::bigint, u, ${orgId}::bigint FROM unnest(${sql.param(userIds)}::bigint[]) AS u
      ON CONFLICT (team_id, user_id) DO NOTHING`,
  );
}

/** Makes the member set exactly `userIds`. */
export async function replaceMembers(tx: Tx, orgId: string, teamId: string, userIds: string[]): Promise<void> {
  await tx.execute(
    sql`DELETE FROM team_members WHERE organization_id = ${orgId} AND team_id = ${teamId}
      AND NOT (user_id = ANY(${sql.param(userIds)}::bigint[]))`,
  );
  await addMembers(tx, orgId, teamId, userIds);
}

export async function removeMember(tx: Tx, orgId: string, teamId: string, userId: string): Promise<boolean> {
  const removed = await rows(
    tx,
    sql`DELETE FROM team_members WHERE organization_id = ${orgId} AND team_id = ${teamId} AND user_id = ${userId} RETURNING user_id`,
  );
  return removed.length > 0;
}

export async function replaceProjects(tx: Tx, orgId: string, teamId: string, projectIds: string[]): Promise<void> {
  await tx.execute(
    sql`DELETE FROM team_projects WHERE organization_id = ${orgId} AND team_id = ${teamId}
      AND NOT (project_id = ANY(${sql.param(projectIds)}::bigint[]))`,
  );
  if (!projectIds.length) return;
  await tx.execute(
    sql`INSERT INTO team_projects (team_id, project_id, organization_id)
      SELECT ${teamId}::bigint, p, ${orgId}::bigint FROM unnest(${sql.param(projectIds)}::bigint[]) AS p
      ON CONFLICT (team_id, project_id) DO NOTHING`,
  );
}
