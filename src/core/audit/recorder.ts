// Writes the audit trail in the same transaction as the change it describes.
import { is, SQL } from 'drizzle-orm';
import { sql } from '../db/database.ts';
import type { ServiceContext } from '../http/service-context.ts';

export interface AuditEntry {
  entity: string;
  /** Values may be SQL expressions over the rows of `from` (see auditInsertSql). */
  entityId?: string | SQL | null;
  action: string;
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  /** Defaults to the context's organisation. */
  organizationId?: string | null;
  /** Defaults to the context's actor. */
  actorId?: string | null;
}

const SECRET_KEYS = /password|token|secret|otp|code_hash/i;

/**
 * A JSON object as a jsonb expression: plain values travel as one JSON parameter, SQL values
 * (expressions over the rows of the statement) are added by key. Never carries secrets, whatever
 * a caller passes: values under secret-looking keys are redacted.
 */
export function jsonObjectSql(values: Record<string, unknown>): SQL {
  const plain: Record<string, unknown> = {};
  const computed: SQL[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (SECRET_KEYS.test(k)) plain[k] = '[redacted]';
    else if (is(v, SQL)) computed.push(sql`${k}::text, ${v}`);
    else plain[k] = v;
  }
  const object = sql`${JSON.stringify(plain)}::jsonb`;
  return computed.length ? sql`(${object} || jsonb_build_object(${sql.join(computed, sql`, `)}))` : object;
}

const jsonOrNull = (values: Record<string, unknown> | null | undefined): SQL => (values ? jsonObjectSql(values) : sql`NULL::jsonb`);

/** The INSERT of one audit row: alone, or as a member of a larger statement over `from` (a CTE of it). */
export function auditInsertSql(ctx: ServiceContext, entry: AuditEntry, from?: SQL): SQL {
  const orgId = entry.organizationId !== undefined ? entry.organizationId : ctx.orgId;
  const actorId = entry.actorId !== undefined ? entry.actorId : (ctx.actor?.userId ?? null);
  return sql`
    INSERT INTO audit_log (organization_id, actor_id, entity, entity_id, action, old_values, new_values, ip, user_agent, request_id)
    SELECT ${orgId}::bigint, ${actorId}::bigint, ${entry.entity}::text, ${entry.entityId ?? null}::text, ${entry.action}::text,
           ${jsonOrNull(entry.oldValues)}, ${jsonOrNull(entry.newValues)}, ${ctx.meta.ip}::text, ${ctx.meta.userAgent}::text, ${ctx.meta.requestId}::text${from ? sql` FROM ${from}` : sql``}`;
}

export async function recordAudit(ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  await ctx.tx.execute(auditInsertSql(ctx, entry));
}

/** Only the keys whose values changed, as {old, new} maps for the audit row. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>) {
  const oldValues: Record<string, unknown> = {};
  const newValues: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      oldValues[key] = before[key];
      newValues[key] = after[key];
    }
  }
  return { oldValues, newValues, changed: Object.keys(newValues).length > 0 };
}
