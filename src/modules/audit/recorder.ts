// Writes the audit trail in the same transaction as the change it describes.
import { sql } from '../../db/database.ts';
import type { ServiceContext } from '../../http/context.ts';

export interface AuditEntry {
  entity: string;
  entityId?: string | null;
  action: string;
  oldValues?: Record<string, unknown> | null;
  newValues?: Record<string, unknown> | null;
  /** Defaults to the context's organisation. */
  organizationId?: string | null;
  /** Defaults to the context's actor. */
  actorId?: string | null;
}

const SECRET_KEYS = /password|token|secret|otp|code_hash/i;

/** Old/new values never carry secrets, whatever a caller passes. */
function scrub(values: Record<string, unknown> | null | undefined): string | null {
  if (!values) return null;
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) clean[k] = SECRET_KEYS.test(k) ? '[redacted]' : v;
  return JSON.stringify(clean);
}

export async function recordAudit(ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  const orgId = entry.organizationId !== undefined ? entry.organizationId : ctx.orgId;
  const actorId = entry.actorId !== undefined ? entry.actorId : (ctx.actor?.userId ?? null);
  await ctx.tx.execute(sql`
    INSERT INTO audit_log (organization_id, actor_id, entity, entity_id, action, old_values, new_values, ip, user_agent, request_id)
    VALUES (${orgId}, ${actorId}, ${entry.entity}, ${entry.entityId ?? null}, ${entry.action},
            ${scrub(entry.oldValues)}::jsonb, ${scrub(entry.newValues)}::jsonb, ${ctx.meta.ip}, ${ctx.meta.userAgent}, ${ctx.meta.requestId})`);
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
