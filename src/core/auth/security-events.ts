// Security events: logins, failures, lockouts, token reuse — queryable by administrators.
import { sql, type Tx } from '../db/database.ts';
import type { RequestMeta } from '../http/context.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export async function recordSecurityEvent(
  tx: Tx,
  meta: RequestMeta,
  event: { type: string; severity?: Severity; userId?: string | null; orgId?: string | null; email?: string | null; details?: Record<string, unknown> },
) {
  await tx.execute(sql`INSERT INTO security_events (organization_id, user_id, email, event_type, severity, ip_address, user_agent, details)
    VALUES (${event.orgId ?? null}, ${event.userId ?? null}, ${event.email ?? null}, ${event.type}, ${event.severity ?? 'low'},
            ${meta.ip}, ${meta.userAgent}, ${JSON.stringify(event.details ?? {})}::jsonb)`);
}
