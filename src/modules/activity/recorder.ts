// The activity feed of deals and clients: short human sentences with who and when.
import { sql } from '../../db/database.ts';
import type { ServiceContext } from '../../http/context.ts';

export async function logActivity(
  ctx: ServiceContext,
  entry: { dealId?: string | null; clientId?: string | null; action: string; description: string; metadata?: Record<string, unknown> },
): Promise<void> {
  await ctx.tx.execute(sql`INSERT INTO activity_logs (organization_id, deal_id, client_id, user_id, action, description, metadata)
    VALUES (${ctx.orgId}, ${entry.dealId ?? null}, ${entry.clientId ?? null}, ${ctx.actor?.userId ?? null}, ${entry.action},
            ${entry.description}, ${JSON.stringify(entry.metadata ?? {})}::jsonb)`);
}
