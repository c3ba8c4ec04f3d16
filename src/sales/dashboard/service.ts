// Sales dashboard figures for the signed-in user and their organisation. Headline amounts are in
// the organisation's currency; money in other currencies is listed per currency beside them.
import { rows, sql, type Tx } from '../../core/db/database.ts';
import type { Actor } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { forbidden, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { money, toCents } from '../../core/money.ts';
import { organizationTodaySql } from '../../core/organizations/clock.ts';
import { MONTHS, addDays, isoWeek, periodOf, previousPeriod, type Period, type PeriodKind } from './periods.ts';
import * as repo from './repo.ts';

export type Ctx = ServiceContext & { actor: Actor };

export interface OrgFacts {
  orgId: string;
  currency: string;
  today: string;
  salesGoal: string;
}

export async function orgFacts(ctx: Ctx): Promise<OrgFacts> {
  if (!ctx.orgId) throw notFound('No organisation selected.');
  const [org] = await rows<{ currency: string; sales_goal: string; today: string }>(
    ctx.tx,
    sql`SELECT o.currency, o.sales_goal::text AS sales_goal, ${organizationTodaySql} AS today FROM organizations o WHERE o.id = ${ctx.orgId}`,
  );
  return { orgId: ctx.orgId, currency: org!.currency, today: org!.today, salesGoal: org!.sales_goal };
}

/** The headline (organisation currency) and the per-currency breakdown of a money query. */
export function headline(list: repo.CurrencyAmount[], currency: string) {
  const main = list.find((r) => r.currency === currency);
  return { amount: toCents(main?.amount ?? 0), count: main?.count ?? 0, by_currency: list.map((r) => ({ currency: r.currency, amount: toCents(r.amount), count: r.count })) };
}

const pct = (part: string, whole: string) => (money(whole).isZero() ? 0 : money(part).div(whole).times(100).toDecimalPlaces(2).toNumber());

/** A person's target in one organisation (their membership's; organisations set their own). */
async function userTarget(tx: Tx, orgId: string, userId: string): Promise<string> {
  const [m] = await rows<{ sales_target: string }>(
    tx,
    sql`SELECT sales_target::text AS sales_target FROM memberships WHERE organization_id = ${orgId} AND user_id = ${userId}`,
  );
  return toCents(m?.sales_target ?? 0);
}

export async function verificationSummary(ctx: Ctx, facts: OrgFacts, period?: Period) {
  const f = { orgId: facts.orgId, userId: ctx.actor.userId, start: period?.start, end: period?.end };
  // One after the other: the transaction's single connection runs one query at a time anyway.
  const verified = await repo.moneyByCurrency(ctx.tx, { ...f, status: 'verified' });
  const pending = await repo.moneyByCurrency(ctx.tx, { ...f, status: 'pending' });
  const rejected = await repo.moneyByCurrency(ctx.tx, { ...f, status: 'rejected' });
  const part = (list: repo.CurrencyAmount[]) => {
    const h = headline(list, facts.currency);
    return { count: list.reduce((n, r) => n + r.count, 0), total: h.amount, currency: facts.currency, by_currency: h.by_currency };
  };
  return { verified: part(verified), pending: part(pending), rejected: part(rejected) };
}

/** The web client's shape of a deal not yet fully paid. */
const presentOutstanding = (d: repo.OutstandingDeal) => ({
  id: d.id, deal_id: d.deal_code, client_name: d.client_name, deal_value: Number(d.deal_value), currency: d.currency, deal_date: d.deal_date,
  client_satisfaction: d.satisfaction ?? 'neutral', client_status: d.status,
});

/** The caller's ten newest deals not yet fully paid (any period), in the web client's shape. */
async function outstandingDeals(ctx: Ctx, facts: OrgFacts) {
  return (await rows<repo.OutstandingDeal>(ctx.tx, repo.outstandingDealsSelect(facts.orgId, ctx.actor.userId))).map(presentOutstanding);
}

/** The web client's salesperson dashboard (`GET /api/dashboard/`). */
export async function personalDashboard(ctx: Ctx, kind: PeriodKind) {
  const facts = await orgFacts(ctx);
  const period = periodOf(kind, facts.today);
  const sales = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, userId: ctx.actor.userId, start: period.start, end: period.end }), facts.currency);
  const target = await userTarget(ctx.tx, facts.orgId, ctx.actor.userId);
  const [counts] = await rows<{ closed: number; pending: number }>(
    ctx.tx,
    sql`SELECT count(*) FILTER (WHERE verification_status = 'verified')::int AS closed, count(*) FILTER (WHERE verification_status = 'pending')::int AS pending
        FROM deals WHERE organization_id = ${facts.orgId} AND created_by = ${ctx.actor.userId} AND deleted_at IS NULL AND deal_date BETWEEN ${period.start} AND ${period.end}`,
  );
  const outstanding = await outstandingDeals(ctx, facts);
  const recent = await repo.recentPaymentsOf(ctx.tx, facts.orgId, ctx.actor.userId, 10);
  return {
    user_info: { id: ctx.actor.userId, email: ctx.actor.email, full_name: `${ctx.actor.firstName} ${ctx.actor.lastName}`.trim(), organization: ctx.actor.orgName ?? '', role: ctx.actor.roleName ?? '' },
    sales_progress: {
      current_sales: sales.amount,
      achieved: sales.amount,
      target,
      percentage: pct(sales.amount, target),
      deals_closed: counts?.closed ?? 0,
      deals_pending: counts?.pending ?? 0,
      period: kind,
      start_date: period.start,
      end_date: period.end,
      currency: facts.currency,
      by_currency: sales.by_currency,
    },
    outstanding_deals: outstanding,
    recent_payments: recent.map((p) => ({ ...p, payment_type: p.payment_method })),
    verification_status: await verificationSummary(ctx, facts, period),
  };
}

type ChartKind = 'daily' | 'weekly' | 'monthly';

/** The chart's first day: 8 days, 7 ISO weeks or 12 months before today's. */
function chartStart(kind: ChartKind, today: string): string {
  if (kind === 'daily') return addDays(today, -8);
  if (kind === 'weekly') return periodOf('weekly', addDays(today, -49)).start;
  return periodOf('monthly', `${Number(today.slice(0, 4)) - 1}-${today.slice(5, 7)}-01`).start;
}

/** One point per bucket from the chart's start to today, zero where nothing sold. */
function chartPoints(kind: ChartKind, today: string, series: { bucket: string; amount: string }[]) {
  const start = chartStart(kind, today);
  const byBucket = new Map(series.map((s) => [s.bucket, s.amount]));
  const points: { date: string; sales: number; amount: string }[] = [];
  const point = (bucket: string, label: string) => {
    const amount = toCents(byBucket.get(bucket) ?? 0);
    // The chart draws numbers; cents are exact in a double at these magnitudes.
    points.push({ date: label, sales: Number(amount), amount });
  };
  if (kind === 'monthly') {
    // The months after the start month up to today's, counted on the calendar (no Date objects).
    for (let y = Number(start.slice(0, 4)), m = Number(start.slice(5, 7)) + 1; ; m++) {
      if (m > 12) [y, m] = [y + 1, 1];
      const month = `${y}-${String(m).padStart(2, '0')}-01`;
      if (month > today) break;
      point(month, MONTHS[m - 1]!);
    }
    return points;
  }
  for (let cursor = start; cursor <= today; cursor = addDays(cursor, kind === 'daily' ? 1 : 7)) point(cursor, kind === 'daily' ? cursor : `W${isoWeek(cursor)}`);
  return points;
}

/** `GET /api/dashboard/chart/`: verified sales per day (last 9), ISO week (last 8) or month (last 12). */
export async function salesChart(ctx: Ctx, kind: ChartKind, known?: OrgFacts) {
  const facts = known ?? (await orgFacts(ctx));
  const bucket = kind === 'daily' ? 'day' : kind === 'weekly' ? 'week' : 'month';
  const series = await repo.salesSeries(ctx.tx, { orgId: facts.orgId, userId: ctx.actor.userId, start: chartStart(kind, facts.today), end: facts.today, currency: facts.currency, bucket });
  return chartPoints(kind, facts.today, series);
}

export async function goals(ctx: Ctx) {
  const facts = await orgFacts(ctx);
  const achieved = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, userId: ctx.actor.userId }), facts.currency);
  const target = await userTarget(ctx.tx, facts.orgId, ctx.actor.userId);
  return { target, achieved: achieved.amount, percentage: pct(achieved.amount, target), currency: facts.currency, by_currency: achieved.by_currency };
}

export async function standings(ctx: Ctx, type: 'individual' | 'team', kind: PeriodKind) {
  const facts = await orgFacts(ctx);
  const period = periodOf(kind, facts.today);
  if (type === 'team') {
    const teams = await repo.teamStandings(ctx.tx, facts.orgId, period.start, period.end, facts.currency);
    const mine = await rows<{ team_id: string }>(ctx.tx, sql`SELECT team_id FROM team_members WHERE user_id = ${ctx.actor.userId} AND organization_id = ${facts.orgId}`);
    return {
      type, period: kind, start_date: period.start, end_date: period.end, currency: facts.currency, total_participants: teams.length,
      standings: teams.map((t, i) => ({
        rank: i + 1, team_id: t.id, team_name: t.name, team_lead_profile_picture: t.picture, sales_amount: toCents(t.amount), team_deals: t.deals,
        member_count: t.members, is_user_team: mine.some((m) => m.team_id === t.id),
      })),
    };
  }
  const people = await repo.individualStandings(ctx.tx, facts.orgId, period.start, period.end, facts.currency);
  const rank = people.findIndex((p) => p.id === ctx.actor.userId);
  return {
    type, period: kind, start_date: period.start, end_date: period.end, currency: facts.currency, total_participants: people.length,
    current_user_rank: rank >= 0 ? rank + 1 : null,
    standings: people.map((p, i) => ({
      rank: i + 1, user_id: p.id, username: p.name, profile_picture: p.picture, sales_amount: toCents(p.amount), deals_count: p.deals, is_current_user: p.id === ctx.actor.userId,
    })),
  };
}

export async function commissionOverview(ctx: Ctx, kind: PeriodKind) {
  const facts = await orgFacts(ctx);
  const period = periodOf(kind, facts.today);
  const before = previousPeriod(period);
  const org = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, start: period.start, end: period.end }), facts.currency);
  const mine = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, userId: ctx.actor.userId, start: period.start, end: period.end }), facts.currency);
  const minePrev = headline(await repo.moneyByCurrency(ctx.tx, { orgId: facts.orgId, userId: ctx.actor.userId, start: before.start, end: before.end }), facts.currency);
  const growth = money(minePrev.amount).isZero() ? (money(mine.amount).isZero() ? 0 : 100) : money(mine.amount).minus(minePrev.amount).div(minePrev.amount).times(100).toDecimalPlaces(2).toNumber();
  const goal = money(facts.salesGoal).greaterThan(1) ? Number(facts.salesGoal) : 1;
  const top = await repo.clientTotals(ctx.tx, { orgId: facts.orgId, currency: facts.currency, ownerId: ctx.actor.userId, start: period.start, end: period.end, limit: 5, order: 'value' });
  const regular = await repo.clientTotals(ctx.tx, { orgId: facts.orgId, currency: facts.currency, limit: 5, order: 'value' });
  const rowsOut = (list: repo.ClientTotals[]) => list.map((c) => ({ client_id: c.id, id: c.id, client_name: c.client_name, total_deals: c.total_deals, total_value: toCents(c.paid_amount) }));
  return {
    organization_goal: goal,
    goal_progress: pct(org.amount, facts.salesGoal),
    currency: facts.currency,
    company_goal_chart: {
      company_goal: goal,
      achieved_percentage: pct(org.amount, facts.salesGoal),
      sales_growth_percentage: growth,
      current_sales: Number(mine.amount),
      previous_period_sales: Number(minePrev.amount),
    },
    period_summary: { period: kind, start_date: period.start, end_date: period.end, organization_sales: org.amount, by_currency: org.by_currency },
    top_clients_this_period: rowsOut(top),
    regular_clients_all_time: rowsOut(regular),
  };
}

export async function clientStatusList(ctx: Ctx, opts: { status?: string | undefined; limit: number }) {
  const facts = await orgFacts(ctx);
  const list = await repo.clientTotals(ctx.tx, { orgId: facts.orgId, currency: facts.currency, ownerId: ctx.actor.userId, status: opts.status, limit: opts.limit, order: 'outstanding' });
  const clients = list.map((c) => {
    const outstanding = money(c.total_value).minus(c.paid_amount);
    return {
      client_id: c.id, id: c.id, client_name: c.client_name, email: c.email, phone_number: c.phone_number, nationality: c.nationality, remarks: c.remarks,
      status: c.status, payment_status: c.status, total_deals: c.total_deals, total_value: toCents(c.total_value), paid_amount: toCents(c.paid_amount),
      outstanding_amount: toCents(outstanding.isNegative() ? 0 : outstanding), currency: facts.currency, last_payment_date: c.last_payment_date,
    };
  });
  return { total_clients: clients.length, clients, pagination: { limit: opts.limit, has_more: clients.length === opts.limit } };
}

/** The seeds' `GET /api/dashboard/overview/` for the signed-in user: the facts, then one statement. */
export async function overview(ctx: Ctx) {
  const facts = await orgFacts(ctx);
  const f = await repo.overviewFigures(ctx.tx, {
    orgId: facts.orgId, userId: ctx.actor.userId, currency: facts.currency, today: facts.today, month: periodOf('monthly', facts.today), chartStart: chartStart('monthly', facts.today),
  });
  const revenue = headline(f.revenue, facts.currency);
  return {
    total_deals: f.counts.total,
    verified_deals: f.counts.verified,
    pending_deals: f.counts.pending,
    total_revenue: revenue.amount,
    currency: facts.currency,
    revenue_by_currency: revenue.by_currency,
    monthly_target: toCents(f.target ?? 0),
    monthly_achieved: headline(f.month, facts.currency).amount,
    recent_deals: f.outstanding.map(presentOutstanding),
    performance_chart: chartPoints('monthly', facts.today, f.chart),
  };
}

/** The seeds' `GET /api/dashboard/performance/`: one user's series; others' only with deals:view_all. */
export async function performance(ctx: Ctx, kind: 'daily' | 'weekly' | 'monthly', userId?: string) {
  let subject = ctx;
  if (userId && userId !== ctx.actor.userId) {
    if (!ctx.actor.isSuperuser && !ctx.actor.permissions.has('deals:view_all')) throw forbidden();
    const [member] = isId(userId)
      ? await rows(ctx.tx, sql`SELECT 1 FROM memberships WHERE organization_id = ${ctx.orgId} AND user_id = ${userId}`)
      : [];
    if (!member) throw notFound('User not found.');
    subject = { ...ctx, actor: { ...ctx.actor, userId } };
  }
  const points = await salesChart(subject, kind);
  const facts = await orgFacts(ctx);
  return { user_id: subject.actor.userId, period: kind, currency: facts.currency, points, total: toCents(points.reduce((acc, p) => acc.plus(p.amount), money(0))) };
}
