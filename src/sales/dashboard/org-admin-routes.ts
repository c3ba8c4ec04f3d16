// The web client's org-admin overview (contract entry `org-admin.dashboard`, underscore in the
// path). Field meanings: docs/api-guide.md, "Org-admin dashboard".
import { z } from 'zod';
import { inTenant } from '../../core/http/context.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { orgAdminDashboard } from './org-admin.ts';
import { wireId } from '../../core/http/fields.ts';

const byCurrency = z.array(z.object({ currency: z.string(), amount: z.string(), count: z.number() }));
const dateRange = z.object({ start_date: z.string(), end_date: z.string() });

const OrgAdminDashboardOut = z.object({
  overview: z.object({
    total_revenue: z.number(),
    currency: z.string(),
    revenue_by_currency: byCurrency,
    active_deals: z.number(),
    team_performance: z.number(),
    conversion_rate: z.number(),
    monthly_growth: z.number(),
    total_users: z.number(),
    pending_approvals: z.number(),
    system_alerts: z.number(),
    data_usage: z.number().nullable(),
    period: dateRange.extend({ compared_with: dateRange }),
    deals_window: dateRange,
  }),
  team_members: z.array(
    z.object({
      id: wireId, name: z.string(), role: z.string(), avatar: z.string().nullable(), performance: z.number(), target: z.string().nullable(),
      status: z.enum(['online', 'offline', 'busy']), deals: z.number(), revenue: z.number(), currency: z.string(), revenue_by_currency: byCurrency,
    }),
  ),
  deal_pipeline: z.array(
    z.object({ key: z.string(), stage: z.string(), count: z.number(), value: z.number(), currency: z.string(), by_currency: byCurrency, progress: z.number() }),
  ),
  analytics: z.object({
    monthly_performance: z.array(z.object({ month: z.string(), period: z.string(), value: z.number(), amount: z.string() })),
    revenue_distribution: z.array(z.object({ category: z.string(), source_type: z.string(), percentage: z.number(), amount: z.string() })),
    insights: z.object({ revenue_growth: z.string(), new_deals: z.number(), team_efficiency: z.string() }),
    currency: z.string(),
  }),
  recent_activities: z.array(
    z.object({
      id: wireId, type: z.string(), action: z.string(), details: z.string(), time: z.string(), timestamp: z.string(), user: z.string(),
      avatar: z.string().nullable(), status: z.enum(['success', 'warning', 'info', 'error']), entity: z.string(), entity_id: z.string().nullable(),
    }),
  ),
  system_status: z.object({
    database: z.string(), api_services: z.string(), storage: z.string(), last_backup: z.string().nullable(),
    database_latency_ms: z.number(), emails_failed_24h: z.number(),
  }),
});

export async function orgAdminDashboardRoutes(app: AppInstance) {
  // analytics:view is the organisation-wide figures permission (/api/analytics/…); the recent
  // activities come from the audit log and are listed only for holders of audit:view as well.
  app.get(
    '/api/org_admin/dashboard/',
    { config: { permission: 'analytics:view' }, schema: { tags: ['dashboard'], summary: "The organisation's month at a glance (org-admin overview)", response: { 200: OrgAdminDashboardOut } } },
    async (request) =>
      inTenant(request, (ctx) => orgAdminDashboard(ctx, { storageDir: app.config.s3 ? null : app.config.dataDir, smtpConfigured: app.config.smtp !== undefined })),
  );
}
