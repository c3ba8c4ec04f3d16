// "Today" and period boundaries are the organisation's, in its time zone (default UTC).
import { rows, sql, type Tx } from '../db/database.ts';

/** The SQL expression of an organisation's today (`o` = its row), for queries that read more. */
export const organizationTodaySql = sql`to_char((now() AT TIME ZONE o.time_zone)::date, 'YYYY-MM-DD')`;

export async function organizationToday(tx: Tx, orgId: string): Promise<string> {
  const [row] = await rows<{ today: string }>(
    tx,
    sql`SELECT ${organizationTodaySql} AS today FROM organizations o WHERE o.id = ${orgId}`,
  );
  return row?.today ?? new Date().toISOString().slice(0, 10);
}
