// The activity feed of deals and clients: short human sentences with who and when.
import type { SQL } from 'drizzle-orm';
import { sql } from '../../core/db/database.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { jsonObjectSql } from '../../core/audit/recorder.ts';

export interface ActivityEntry {
  /** Each value may be an SQL expression over the rows of `from` (see activityInsertSql). */
  dealId?: string | SQL | null;
  clientId?: string | SQL | null;
  action: string;
  description: string | SQL;
  metadata?: Record<string, unknown>;
}

/**
 * The INSERT of one activity row: alone, or as a member of a larger statement whose values come
 * from `from` (a CTE of the same statement), so that a use case writes its rows in one round trip.
 */
export function activityInsertSql(ctx: ServiceContext, entry: ActivityEntry, from?: SQL): SQL {
  return sql`INSERT INTO activity_logs (organization_id, deal_id, client_id, user_id, action, description, metadata)
    SELECT ${ctx.orgId}::bigint, ${entry.dealId ?? null}::bigint, ${entry.clientId ?? null}::bigint, ${ctx.actor?.userId ?? null}::bigint, ${entry.action}::text,
           ${entry.description}::text, ${jsonObjectSql(entry.metadata ?? {})}${from ? sql` FROM ${from}` : sql``}`;
}

export async function logActivity(ctx: ServiceContext, entry: ActivityEntry): Promise<void> {
  await ctx.tx.execute(activityInsertSql(ctx, entry));
}
