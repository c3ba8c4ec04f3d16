// /api/analytics/… (seed 001): organisation-wide figures for managers, from the same aggregates
// as the dashboards. Verified money only, per currency with the organisation's as headline.
import { z } from 'zod';
import { rows, sql } from '../../core/db/database.ts';
import { inTenant } from '../../core/http/context.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { toCents } from '../../core/money.ts';
import { MONTHS, periodOf, type PeriodKind } from './periods.ts';
import * as repo from './repo.ts';
import { headline, orgFacts } from './service.ts';
import { wireId } from '../../core/http/fields.ts';

const byCurrency = z.array(z.object({ currency: z.string(), amount: z.string(), count: z.number() }));
const periodQuery = z.object({ period: z.enum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly']).optional() });

export async function analyticsRoutes(app: AppInstance) {
  const tags = ['analytics'];
  const permission = 'analytics:view';

  app.get(
    '/api/analytics/dashboard/',
    {
      config: { permission },
      schema: {
        tags,
        querystring: periodQuery,
        response: { 200: z.object({ period: z.string(), start_date: z.string(), end_date: z.string(), currency: z.string(), revenue: z.string(), revenue_by_currency: byCurrency, deals_created: z.number(), deals_verified: z.number(), payments_pending: z.number(), active_clients: z.number() }) },
      },
    },
    async (request) =>
      inTenant(request, async (ctx) => {
        const facts = await orgFacts(ctx);
        const kind: PeriodKind = request.query.period ?? 'monthly';
        const p = periodOf(kind, facts.today);
        const revenue = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, start: p.start, end: p.end }), facts.currency);
        const [c] = await rows<{ created: number; verified: number; pending: number; clients: number }>(
          ctx.tx,
          sql`SELECT (SELECT count(*)::int FROM deals WHERE organization_id = ${facts.orgId} AND deleted_at IS NULL AND deal_date BETWEEN ${p.start} AND ${p.end}) AS created,
                     (SELECT count(*)::int FROM deals WHERE organization_id = ${facts.orgId} AND deleted_at IS NULL AND deal_date BETWEEN ${p.start} AND ${p.end} AND verification_status = 'verified') AS verified,
                     (SELECT COALESCE(sum(payments), 0)::int FROM payment_totals WHERE organization_id = ${facts.orgId} AND status = 'pending') AS pending,
                     (SELECT count(DISTINCT client_id)::int FROM deals WHERE organization_id = ${facts.orgId} AND deleted_at IS NULL AND deal_date BETWEEN ${p.start} AND ${p.end}) AS clients`,
        );
        return { period: kind, start_date: p.start, end_date: p.end, currency: facts.currency, revenue: revenue.amount, revenue_by_currency: revenue.by_currency, deals_created: c!.created, deals_verified: c!.verified, payments_pending: c!.pending, active_clients: c!.clients };
      }),
  );

  app.get(
    '/api/analytics/sales/',
    { config: { permission }, schema: { tags, response: { 200: z.object({ currency: z.string(), months: z.array(z.object({ month: z.string(), label: z.string(), amount: z.string() })), total: z.string(), total_by_currency: byCurrency }) } } },
    async (request) =>
      inTenant(request, async (ctx) => {
        const facts = await orgFacts(ctx);
        const start = periodOf('monthly', `${Number(facts.today.slice(0, 4)) - 1}-${facts.today.slice(5, 7)}-01`).start;
        const series = await repo.salesSeries(ctx.tx, { orgId: facts.orgId, start, end: facts.today, currency: facts.currency, bucket: 'month' });
        const total = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, start, end: facts.today }), facts.currency);
        return {
          currency: facts.currency,
          months: series.map((s) => ({ month: s.bucket.slice(0, 7), label: MONTHS[Number(s.bucket.slice(5, 7)) - 1]!, amount: toCents(s.amount) })),
          total: total.amount,
          total_by_currency: total.by_currency,
        };
      }),
  );

  app.get(
    '/api/analytics/performance/',
    {
      config: { permission },
      schema: {
        tags,
        querystring: periodQuery,
        response: { 200: z.object({ period: z.string(), currency: z.string(), people: z.array(z.object({ rank: z.number(), user_id: wireId, name: z.string(), sales: z.string(), deals: z.number() })) }) },
      },
    },
    async (request) =>
      inTenant(request, async (ctx) => {
        const facts = await orgFacts(ctx);
        const kind: PeriodKind = request.query.period ?? 'monthly';
        const p = periodOf(kind, facts.today);
        const people = await repo.individualStandings(ctx.tx, facts.orgId, p.start, p.end, facts.currency);
        return { period: kind, currency: facts.currency, people: people.map((u, i) => ({ rank: i + 1, user_id: u.id, name: u.name, sales: toCents(u.amount), deals: u.deals })) };
      }),
  );
}
