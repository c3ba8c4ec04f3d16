// /api/audit/logs/: the organisation's audit trail with filters (append-only, read here).
import type { SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rows, sql } from '../db/database.ts';
import { inTenant } from '../http/context.ts';
import { dateField } from '../http/fields.ts';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../http/pagination.ts';
import type { AppInstance } from '../http/types.ts';
import { wireId } from '../http/fields.ts';
import { idField } from '../http/fields.ts';

const AuditOut = z.object({
  id: wireId,
  organization: wireId.nullable(),
  actor: wireId.nullable(),
  actor_email: z.string().nullable(),
  entity: z.string(),
  entity_id: z.string().nullable(),
  action: z.string(),
  old_values: z.record(z.string(), z.unknown()).nullable(),
  new_values: z.record(z.string(), z.unknown()).nullable(),
  ip_address: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  created_at: z.string(),
});

const AuditQuery = z.object({
  ...pageQueryFields,
  entity: z.string().max(50).optional(),
  entity_id: z.string().max(64).optional(),
  action: z.string().max(50).optional(),
  actor: idField.optional(),
  date_from: dateField.optional(),
  date_to: dateField.optional(),
  /** Super Admins name the organisation whose trail they read. */
  organization: idField.optional(),
});

interface AuditRow {
  id: string;
  organization_id: string | null;
  actor_id: string | null;
  actor_email: string | null;
  entity: string;
  entity_id: string | null;
  action: string;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: string;
}

export async function auditRoutes(app: AppInstance) {
  app.get(
    '/api/audit/logs/',
    { config: { permission: 'audit:view' }, schema: { tags: ['audit'], querystring: AuditQuery, response: { 200: pageOf(AuditOut) } } },
    async (request) => {
      const q = request.query;
      const page = pageRequest(q, app.config);
      const result = await inTenant(request, async (ctx) => {
        if (!ctx.orgId) return { count: 0, rows: [] as AuditRow[] };
        // Row-level security limits rows to the organisation; the explicit filter keeps the plan on the index.
        const where: SQL[] = [sql`a.organization_id = ${ctx.orgId}`];
        if (q.entity) where.push(sql`a.entity = ${q.entity}`);
        if (q.entity_id) where.push(sql`a.entity_id = ${q.entity_id}`);
        if (q.action) where.push(sql`a.action = ${q.action}`);
        if (q.actor) where.push(sql`a.actor_id = ${q.actor}`);
        if (q.date_from) where.push(sql`a.created_at >= ${q.date_from}::date`);
        if (q.date_to) where.push(sql`a.created_at < ${q.date_to}::date + 1`);
        const cond = sql.join(where, sql` AND `);
        const [c] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n FROM audit_log a WHERE ${cond}`);
        const list = await rows<AuditRow>(
          ctx.tx,
          sql`SELECT a.*, u.email AS actor_email FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
              WHERE ${cond} ORDER BY a.created_at DESC, a.id DESC LIMIT ${page.pageSize} OFFSET ${page.offset}`,
        );
        return { count: c?.n ?? 0, rows: list };
      }, q.organization ? { orgId: q.organization } : {});
      return pageEnvelope(
        request,
        page,
        result.count,
        result.rows.map((r) => ({
          id: r.id,
          organization: r.organization_id,
          actor: r.actor_id,
          actor_email: r.actor_email,
          entity: r.entity,
          entity_id: r.entity_id,
          action: r.action,
          old_values: r.old_values,
          new_values: r.new_values,
          ip_address: r.ip,
          user_agent: r.user_agent,
          request_id: r.request_id,
          created_at: new Date(r.created_at).toISOString(),
        })),
      );
    },
  );
}
