// The sales dashboard: the web client's /api/dashboard/… and the seeds' overview/performance.
import { z } from 'zod';
import { hasPermission } from '../../core/http/auth.ts';
import { inTenant } from '../../core/http/context.ts';
import { forbidden } from '../../core/http/errors.ts';
import { queryInteger } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import * as dash from './service.ts';
import { verifierDashboardRoutes } from './verifier-routes.ts';
import { analyticsRoutes } from './analytics-routes.ts';
import { wireId, wireNumber } from '../../core/http/fields.ts';

const periodKind = z.enum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly']);
const money = z.string();
const byCurrency = z.array(z.object({ currency: z.string(), amount: money, count: z.number() }));
// `total` is a JSON number: the web client adds the three buckets' totals with `+`.
const bucket = z.object({ count: z.number(), total: wireNumber, currency: z.string(), by_currency: byCurrency });
const VerificationOut = z.object({ verified: bucket, pending: bucket, rejected: bucket });

const PersonalOut = z.object({
  user_info: z.object({ id: wireId, email: z.string(), full_name: z.string(), organization: z.string(), role: z.string() }),
  sales_progress: z.object({
    current_sales: money, achieved: money, target: money, percentage: z.number(), deals_closed: z.number(), deals_pending: z.number(),
    period: z.string(), start_date: z.string(), end_date: z.string(), currency: z.string(), by_currency: byCurrency,
  }),
  outstanding_deals: z.array(z.object({
    id: wireId, deal_id: z.string(), client_name: z.string(), deal_value: z.number(), currency: z.string(), deal_date: z.string(),
    client_satisfaction: z.string(), client_status: z.string(),
  })),
  recent_payments: z.array(z.object({
    id: wireId, transaction_id: z.string(), client_name: z.string(), received_amount: money, currency: z.string(), payment_method: z.string(),
    payment_type: z.string(), status: z.string(), payment_date: z.string(),
  })),
  verification_status: VerificationOut,
});

const ClientRow = z.object({
  client_id: wireId, id: wireId, client_name: z.string(), email: z.string(), phone_number: z.string(), nationality: z.string(), remarks: z.string(),
  status: z.string(), payment_status: z.string(), total_deals: z.number(), total_value: money, paid_amount: money, outstanding_amount: money,
  currency: z.string(), last_payment_date: z.string().nullable(),
});
// `total_value` is a JSON number: the web client draws it as a bar height.
const TopClient = z.object({ client_id: wireId, id: wireId, client_name: z.string(), total_deals: z.number(), total_value: wireNumber });

export async function dashboardRoutes(app: AppInstance) {
  await app.register(verifierDashboardRoutes);
  await app.register(analyticsRoutes);
  const tags = ['dashboard'];
  const permission = 'dashboard:view';

  // The web client warms this URL without a token and caches whatever JSON comes back, so an
  // anonymous call gets a 401 with an empty body.
  app.get('/api/dashboard/', { config: { auth: 'optional' }, schema: { tags, querystring: z.object({ period: periodKind.optional() }), response: { 200: PersonalOut, 401: { description: 'Not signed in: an empty body.', content: { 'text/plain': { schema: z.string().max(0) } } } } } }, async (request, reply) => {
    if (!request.actor) return reply.code(401).header('content-type', 'text/plain; charset=utf-8').serializer(() => '').send('');
    if (!hasPermission(request.actor, permission)) throw forbidden();
    return inTenant(request, (ctx) => dash.personalDashboard(ctx, request.query.period ?? 'monthly'));
  });

  app.get('/api/dashboard/payment-verification/', { config: { permission }, schema: { tags, response: { 200: VerificationOut } } }, async (request) =>
    inTenant(request, async (ctx) => dash.verificationSummary(ctx, await dash.orgFacts(ctx))),
  );

  app.get(
    '/api/dashboard/chart/',
    { config: { permission }, schema: { tags, querystring: z.object({ period: z.enum(['daily', 'weekly', 'monthly']).optional() }), response: { 200: z.array(z.object({ date: z.string(), sales: z.number(), amount: money })) } } },
    async (request) => inTenant(request, (ctx) => dash.salesChart(ctx, request.query.period ?? 'daily')),
  );

  app.get('/api/dashboard/goals/', { config: { permission }, schema: { tags, response: { 200: z.object({ target: money, achieved: money, percentage: z.number(), currency: z.string(), by_currency: byCurrency }) } } }, async (request) =>
    inTenant(request, (ctx) => dash.goals(ctx)),
  );

  const StandingsOut = z.object({
    type: z.string(), period: z.string(), start_date: z.string(), end_date: z.string(), currency: z.string(), total_participants: z.number(),
    current_user_rank: z.number().nullable().optional(),
    standings: z.array(z.object({
      rank: z.number(), user_id: wireId.optional(), username: z.string().optional(), profile_picture: z.string().nullable().optional(),
      team_id: wireId.optional(), team_name: z.string().optional(), team_lead_profile_picture: z.string().nullable().optional(),
      sales_amount: money, deals_count: z.number().optional(), team_deals: z.number().optional(), member_count: z.number().optional(),
      is_current_user: z.boolean().optional(), is_user_team: z.boolean().optional(),
    })),
  });
  app.get(
    '/api/dashboard/standings/',
    { config: { permission }, schema: { tags, querystring: z.object({ type: z.enum(['individual', 'team']).optional(), period: periodKind.optional() }), response: { 200: StandingsOut } } },
    async (request) => inTenant(request, (ctx) => dash.standings(ctx, request.query.type ?? 'individual', request.query.period ?? 'daily')),
  );

  app.get(
    '/api/dashboard/commission/',
    {
      config: { permission },
      schema: {
        tags,
        querystring: z.object({ period: periodKind.optional(), include_details: z.string().max(10).optional() }),
        response: {
          200: z.object({
            organization_goal: z.number(), goal_progress: z.number(), currency: z.string(),
            company_goal_chart: z.object({ company_goal: z.number(), achieved_percentage: z.number(), sales_growth_percentage: z.number(), current_sales: z.number(), previous_period_sales: z.number() }),
            period_summary: z.object({ period: z.string(), start_date: z.string(), end_date: z.string(), organization_sales: money, by_currency: byCurrency }),
            top_clients_this_period: z.array(TopClient),
            regular_clients_all_time: z.array(TopClient),
          }),
        },
      },
    },
    async (request) => inTenant(request, (ctx) => dash.commissionOverview(ctx, request.query.period ?? 'monthly')),
  );

  app.get(
    '/api/dashboard/clients/',
    {
      config: { permission },
      schema: {
        tags,
        querystring: z.object({ organization: z.string().max(64).optional(), limit: queryInteger(1, 100).optional(), status_filter: z.enum(['all', 'clear', 'pending', 'bad_debt']).optional() }),
        response: { 200: z.object({ total_clients: z.number(), clients: z.array(ClientRow), pagination: z.object({ limit: z.number(), has_more: z.boolean() }) }) },
      },
    },
    async (request) => {
      const status = request.query.status_filter && request.query.status_filter !== 'all' ? request.query.status_filter : undefined;
      return inTenant(request, (ctx) => dash.clientStatusList(ctx, { status, limit: request.query.limit ?? 20 }));
    },
  );

  // The seeds' overview: the same figures in their names.
  app.get(
    '/api/dashboard/overview/',
    {
      config: { permission },
      schema: {
        tags,
        response: {
          200: z.object({
            total_deals: z.number(), verified_deals: z.number(), pending_deals: z.number(), total_revenue: money, currency: z.string(), revenue_by_currency: byCurrency,
            monthly_target: money, monthly_achieved: money, recent_deals: PersonalOut.shape.outstanding_deals, performance_chart: z.array(z.object({ date: z.string(), sales: z.number(), amount: money })),
          }),
        },
      },
    },
    // Every statement of the overview is prepared: planned once per connection, not per request.
    async (request) => inTenant(request, (ctx) => dash.overview(ctx), { genericPlans: true, readOnly: true }),
  );

  app.get(
    '/api/dashboard/performance/',
    {
      config: { permission },
      schema: {
        tags,
        querystring: z.object({ period: z.enum(['daily', 'weekly', 'monthly']).optional(), user_id: z.string().max(64).optional() }),
        response: { 200: z.object({ user_id: wireId, period: z.string(), currency: z.string(), points: z.array(z.object({ date: z.string(), sales: z.number(), amount: money })), total: money }) },
      },
    },
    async (request) => inTenant(request, (ctx) => dash.performance(ctx, request.query.period ?? 'daily', request.query.user_id)),
  );
}
