// Commission use cases behind the routes: which period a request means, who may see whose
// figures, exchange rates and plans.
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../core/db/database.ts';
import { hasPermission, type Actor } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { badRequest, conflict, fieldError, forbidden, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { recordAudit } from '../../core/audit/recorder.ts';
import { streakRateRecorded } from '../streaks/service.ts';
import { resolveMissingRates } from './accruals.ts';
import { fixed } from './formula.ts';
import { daysBetween, periodContaining, type Period, type PeriodKind, type StandardPeriod } from './periods.ts';
import { presentAccrual, presentStatement, summaryTotals, type AccrualRow } from './present.ts';
import * as repo from './repo.ts';
import { computeStatements, orgOf } from './statements.ts';

type Ctx = ServiceContext & { actor: Actor };

export const VIEW = ['commission:view_own', 'commission:view_all', 'commission:manage'] as const;
export const VIEW_ALL = ['commission:view_all', 'commission:manage'] as const;
export const MANAGE = 'commission:manage';

export interface PeriodParams {
  period?: PeriodKind | undefined;
  start_date?: string | undefined;
  end_date?: string | undefined;
}

/** The standard period of `period` (default `fallback`) containing `start_date` (default today). */
export function standardPeriod(q: PeriodParams, today: string, fallback: PeriodKind): StandardPeriod {
  if (q.start_date && q.end_date && q.end_date < q.start_date) throw fieldError('end_date', 'The end date cannot be before the start date.');
  return periodContaining(q.period ?? fallback, q.start_date ?? today);
}

/**
 * The period a request means: a standard period (`end_date` is then implied), or without
 * `period`, `start_date` + `end_date` as a custom range (live figures only).
 */
export function resolvePeriod(q: PeriodParams, today: string, fallback: PeriodKind): Period {
  if (!q.period && q.start_date && q.end_date && q.end_date >= q.start_date) {
    if (daysBetween(q.start_date, q.end_date) > 3660) throw fieldError('end_date', 'A range can span at most ten years.');
    return { kind: 'custom', start: q.start_date, end: q.end_date };
  }
  return standardPeriod(q, today, fallback);
}

export async function todayOf(ctx: ServiceContext): Promise<string> {
  return (await repo.orgFacts(ctx.tx, orgOf(ctx))).today;
}

const seesAll = (actor: Actor) => hasPermission(actor, VIEW_ALL);

/** Seed 000's summary: the caller's statement, or the organisation's for those who see all. */
export async function summary(ctx: Ctx, q: PeriodParams & { user_id?: string | undefined }) {
  const org = await repo.orgFacts(ctx.tx, orgOf(ctx));
  const period = resolvePeriod(q, org.today, 'monthly');
  let scope: 'own' | 'organization' | 'user' = 'own';
  let ids: string[] | null = [ctx.actor.userId];
  if (q.user_id && q.user_id !== ctx.actor.userId) {
    if (!seesAll(ctx.actor)) throw forbidden('You can only see your own commission.');
    await requireMember(ctx, q.user_id);
    scope = 'user';
    ids = [q.user_id];
  } else if (!q.user_id && seesAll(ctx.actor)) {
    scope = 'organization';
    ids = null;
  }
  const views = await computeStatements(ctx, period, ids, org);
  return {
    period: period.kind,
    start_date: period.start,
    end_date: period.end,
    currency: org.currency,
    scope,
    totals: summaryTotals(views),
    statements: views.map(presentStatement),
  };
}

export async function requireMember(ctx: ServiceContext, userId: string): Promise<repo.UserLite> {
  const [user] = isId(userId) ? await repo.membersAmong(ctx.tx, orgOf(ctx), [userId]) : [];
  if (!user) throw notFound('User not found.');
  return user;
}

const ACCRUAL_SELECT = sql`
  SELECT a.id, a.kind, a.payment_id, p.transaction_id, a.deal_id, d.deal_code, a.amount::text AS amount, a.currency, a.org_currency,
         a.fx_rate::text AS fx_rate, a.base::text AS base, a.rate::text AS rate, a.commission::text AS commission, a.status,
         to_char(a.period_date, 'YYYY-MM-DD') AS period_date, a.reverses_id, a.reversed_by_id, a.reversal_reason, a.reversed_at, a.created_at
  FROM commission_accruals a JOIN payments p ON p.id = a.payment_id JOIN deals d ON d.id = a.deal_id`;

/** Seed 000's user commissions: plan, stored statements and accruals of one member. */
export async function userCommission(ctx: Ctx, userId: string, q: { start_date?: string | undefined; end_date?: string | undefined }) {
  const orgId = orgOf(ctx);
  const user = await requireMember(ctx, userId);
  if (user.id !== ctx.actor.userId && !seesAll(ctx.actor)) throw forbidden('You can only see your own commission.');
  const org = await repo.orgFacts(ctx.tx, orgId);
  const plan = (await repo.planRates(ctx.tx, orgId, [user.id], org.today)).get(user.id)!;
  const stored = await rows<repo.StoredStatement>(
    ctx.tx,
    sql`${repo.STATEMENT_SELECT} WHERE s.organization_id = ${orgId} AND s.user_id = ${user.id} ORDER BY s.start_date DESC, s.period_kind LIMIT 100`,
  );
  const statements = [];
  for (const s of stored) {
    const [view] = await computeStatements(ctx, { kind: s.period_kind, start: s.start_date, end: s.end_date }, [user.id]);
    if (view) statements.push(presentStatement(view));
  }
  const where: SQL[] = [sql`a.organization_id = ${orgId}`, sql`a.user_id = ${user.id}`];
  if (q.start_date) where.push(sql`a.period_date >= ${q.start_date}::date`);
  if (q.end_date) where.push(sql`a.period_date <= ${q.end_date}::date`);
  const accruals = await rows<AccrualRow>(ctx.tx, sql`${ACCRUAL_SELECT} WHERE ${sql.join(where, sql` AND `)} ORDER BY a.period_date DESC, a.created_at DESC LIMIT 500`);
  return { user, currency: org.currency, plan: { rate: plan.rate, effective_from: plan.effective_from }, statements, accruals: accruals.map(presentAccrual) };
}

// ---------------------------------------------------------------------------------------------
// Exchange rates

interface RateRow {
  id: string;
  date: string;
  from_currency: string;
  to_currency: string;
  rate: string;
  created_by: string | null;
  created_at: string;
}

const RATE_SELECT = sql`SELECT r.id, to_char(r.rate_date, 'YYYY-MM-DD') AS date, r.from_currency, r.to_currency, r.rate::text AS rate, r.created_by, r.created_at FROM exchange_rates r`;

export const presentRate = (r: RateRow) => ({ ...r, created_at: new Date(r.created_at).toISOString() });

export async function listRates(
  ctx: Ctx,
  q: { from_currency?: string | undefined; to_currency?: string | undefined; date_from?: string | undefined; date_to?: string | undefined },
  page: { limit: number; offset: number },
) {
  const where: SQL[] = [sql`r.organization_id = ${orgOf(ctx)}`];
  if (q.from_currency) where.push(sql`r.from_currency = ${q.from_currency}`);
  if (q.to_currency) where.push(sql`r.to_currency = ${q.to_currency}`);
  if (q.date_from) where.push(sql`r.rate_date >= ${q.date_from}::date`);
  if (q.date_to) where.push(sql`r.rate_date <= ${q.date_to}::date`);
  const cond = sql.join(where, sql` AND `);
  const [c] = await rows<{ n: number }>(ctx.tx, sql`SELECT count(*)::int AS n FROM exchange_rates r WHERE ${cond}`);
  const list = await rows<RateRow>(ctx.tx, sql`${RATE_SELECT} WHERE ${cond} ORDER BY r.rate_date DESC, r.from_currency, r.to_currency, r.id LIMIT ${page.limit} OFFSET ${page.offset}`);
  return { count: c?.n ?? 0, rows: list.map(presentRate) };
}

/**
 * Records the rate of a day (default today). A recorded rate is never edited: accruals keep the
 * rate they used, so a second rate for the same day and pair is a 409. Accruals waiting for this
 * currency are converted at once.
 */
export async function recordRate(ctx: Ctx, input: { date?: string | undefined; from_currency: string; to_currency?: string | undefined; rate: string }) {
  const orgId = orgOf(ctx);
  const org = await repo.orgFacts(ctx.tx, orgId);
  const date = input.date ?? org.today;
  const to = input.to_currency ?? org.currency;
  if (to === input.from_currency) throw badRequest('Invalid input.', { to_currency: ['The two currencies must differ.'] });
  const [created] = await rows<{ id: string }>(
    ctx.tx,
    sql`INSERT INTO exchange_rates (organization_id, rate_date, from_currency, to_currency, rate, created_by)
        VALUES (${orgId}, ${date}::date, ${input.from_currency}, ${to}, ${input.rate}, ${ctx.actor.userId})
        ON CONFLICT (organization_id, from_currency, to_currency, rate_date) DO NOTHING RETURNING id`,
  );
  if (!created) throw conflict(`A ${input.from_currency}→${to} rate is already recorded for ${date}.`, 'rate_exists');
  await recordAudit(ctx, { entity: 'exchange_rate', entityId: created.id, action: 'create', newValues: { date, from_currency: input.from_currency, to_currency: to, rate: input.rate } });
  const converted = await resolveMissingRates(ctx);
  await streakRateRecorded(ctx, input.from_currency, date);
  const [row] = await rows<RateRow>(ctx.tx, sql`${RATE_SELECT} WHERE r.id = ${created.id}`);
  return { ...presentRate(row!), converted_accruals: converted };
}

// ---------------------------------------------------------------------------------------------
// Plans

export async function listPlans(ctx: Ctx) {
  const orgId = orgOf(ctx);
  const org = await repo.orgFacts(ctx.tx, orgId);
  const ids = [...new Set([...(await repo.salespeople(ctx.tx, orgId)), ...(await rows<{ user_id: string }>(ctx.tx, sql`SELECT DISTINCT user_id FROM commission_plans WHERE organization_id = ${orgId}`)).map((r) => r.user_id)])];
  const users = await repo.membersAmong(ctx.tx, orgId, ids);
  const plans = await repo.planRates(ctx.tx, orgId, users.map((u) => u.id), org.today);
  return users.map((user) => ({ user, ...plans.get(user.id)! }));
}

/** A rate (%) for a salesperson from a day on (default today); it applies to payments verified from then on. */
export async function setPlan(ctx: Ctx, input: { user_id: string; rate: string; effective_from?: string | undefined }) {
  const orgId = orgOf(ctx);
  const user = await requireMember(ctx, input.user_id);
  const from = input.effective_from ?? (await todayOf(ctx));
  await ctx.tx.execute(sql`INSERT INTO commission_plans (organization_id, user_id, rate, effective_from, created_by)
    VALUES (${orgId}, ${user.id}, ${input.rate}, ${from}::date, ${ctx.actor.userId})
    ON CONFLICT (organization_id, user_id, effective_from) DO UPDATE SET rate = EXCLUDED.rate`);
  await recordAudit(ctx, { entity: 'commission_plan', entityId: user.id, action: 'set', newValues: { rate: input.rate, effective_from: from } });
  return { user, rate: fixed(input.rate, 2), effective_from: from };
}
