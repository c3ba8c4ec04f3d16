// SQL for projects. Every statement names the organisation explicitly; row-level security is
// the second line of defence.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';

export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  status: string;
  start_date: string | null;
  end_date: string | null;
  created_by: string | null;
  creator_first_name: string | null;
  creator_last_name: string | null;
  creator_email: string | null;
  team_count: number;
  created_at: string | Date;
  updated_at: string | Date;
}

/** Dates leave as text: drivers would otherwise turn a `date` into a local-time Date. */
function withDetails(source: SQL, ordering: SQL): SQL {
  return sql`SELECT p.id, p.organization_id, p.name, p.description, p.status, p.start_date::text AS start_date,
      p.end_date::text AS end_date, p.created_by, u.first_name AS creator_first_name, u.last_name AS creator_last_name,
      u.email AS creator_email, p.created_at, p.updated_at,
      (SELECT count(*)::int FROM team_projects tp WHERE tp.organization_id = p.organization_id AND tp.project_id = p.id) AS team_count
    FROM (${source}) p
    LEFT JOIN users u ON u.id = p.created_by
    ORDER BY ${ordering}, p.id`;
}

export interface ProjectQuery {
  orgId: string;
  conditions: SQL[];
  ordering: SQL;
  limit: number;
  offset: number;
}

export async function listProjects(tx: Tx, q: ProjectQuery): Promise<{ count: number; rows: ProjectRow[] }> {
  const where = sql.join([sql`p.organization_id = ${q.orgId}`, ...q.conditions], sql` AND `);
  const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM projects p WHERE ${where}`);
  const page = sql`SELECT p.* FROM projects p WHERE ${where} ORDER BY ${q.ordering}, p.id LIMIT ${q.limit} OFFSET ${q.offset}`;
  return { count: counted?.n ?? 0, rows: await rows<ProjectRow>(tx, withDetails(page, q.ordering)) };
}

export async function findProject(tx: Tx, orgId: string, id: string): Promise<ProjectRow | undefined> {
  const [row] = await rows<ProjectRow>(tx, withDetails(sql`SELECT * FROM projects WHERE organization_id = ${orgId} AND id = ${id}`, sql`p.name`));
  return row;
}

/** Writable columns (the allow-list of inserts and updates). */
export interface ProjectValues {
  name?: string | undefined;
  description?: string | undefined;
  status?: string | undefined;
  start_date?: string | null | undefined;
  end_date?: string | null | undefined;
}

const COLUMNS: (keyof ProjectValues)[] = ['name', 'description', 'status', 'start_date', 'end_date'];

export async function insertProject(tx: Tx, orgId: string, userId: string, values: ProjectValues): Promise<string> {
  const present = COLUMNS.filter((k) => values[k] !== undefined);
  const names = [sql`organization_id`, sql`created_by`, ...present.map((k) => sql.identifier(k))];
  const params = [sql`${orgId}`, sql`${userId}`, ...present.map((k) => sql`${values[k]}`)];
  const [row] = await rows<{ id: string }>(tx, sql`INSERT INTO projects (${sql.join(names, sql`, `)}) VALUES (${sql.join(params, sql`, `)}) RETURNING id`);
  return row!.id;
}

export async function updateProject(tx: Tx, orgId: string, id: string, values: ProjectValues): Promise<void> {
  const sets = COLUMNS.filter((k) => values[k] !== undefined).map((k) => sql`${sql.identifier(k)} = ${values[k]}`);
  if (!sets.length) return;
  await tx.execute(sql`UPDATE projects SET ${sql.join(sets, sql`, `)} WHERE organization_id = ${orgId} AND id = ${id}`);
}

/** Team links go with the project; deals keep their history with the project cleared. */
export async function deleteProject(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx.execute(sql`DELETE FROM projects WHERE organization_id = ${orgId} AND id = ${id}`);
}
