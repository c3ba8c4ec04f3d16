// Period statements per user: computed from the period's accruals (formula.ts), adjusted by org
// admins (rate override, bonus, penalty, payout currency and rate), stored by runs, approved and
// paid. A run is idempotent per (user, period): the statement row is unique on (user, kind,
// start) and is only rewritten when its figures changed; approved and paid statements are frozen.
import { rows, sql } from '../../core/db/database.ts';
import type { Actor } from '../../core/http/auth.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { badRequest, conflict, notFound } from '../../core/http/errors.ts';
import { isId } from '../../core/http/fields.ts';
import { money } from '../../core/money.ts';
import { recordAudit } from '../../core/audit/recorder.ts';
import { resolveMissingRates } from './accruals.ts';
import { notifyApproved } from './events.ts';
import { fixed, statementFigures } from './formula.ts';
import type { Period, StandardPeriod } from './periods.ts';
import * as repo from './repo.ts';
import type { StatementView } from './types.ts';

type Ctx = ServiceContext & { actor: Actor };
type StoredPeriod = StandardPeriod;

export type { StatementView } from './types.ts';

export function orgOf(ctx: ServiceContext): string {
  if (!ctx.orgId) throw notFound('No organisation selected.');
  return ctx.orgId;
}

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);
const uniq = (ids: string[]) => [...new Set(ids)];
/** Both are cents already: the sum is exact. */
const plus = (a: string, b: string) => money(a).plus(b).toFixed(2);

/**
 * The statements of a period, live: stored adjustments applied to the current accruals, or the
 * stored figures of approved and paid statements. `userIds` null = every salesperson plus anyone
 * with accruals or a statement in the period. `known` spares reading the organisation's facts again.
 */
export async function computeStatements(ctx: ServiceContext, period: Period, userIds: string[] | null, known?: repo.OrgFacts): Promise<StatementView[]> {
  const orgId = orgOf(ctx);
  const org = known ?? (await repo.orgFacts(ctx.tx, orgId));
  const { aggregates, stored, users, plans } = await repo.statementInputs(ctx.tx, orgId, org.currency, period, userIds);
  const aggOf = new Map(aggregates.map((a) => [a.user_id, a]));
  const storedOf = new Map(stored.map((s) => [s.user_id, s]));
  return users.map((user) => {
    const s = storedOf.get(user.id);
    const a = aggOf.get(user.id) ?? { sales_base: '0', weighted_base: '0', accrual_count: 0, needs_rate_count: 0 };
    const common = { id: s?.id ?? null, user, period: period.kind, start_date: period.start, end_date: period.end, currency: org.currency };
    const payout = { payout_currency: s?.payout_currency ?? org.currency, exchange_rate: fixed(s?.exchange_rate ?? '1', 8) };
    const rate = fixed(s?.rate_override ?? plans.get(user.id)!.rate, 2);
    const adjust = { bonus: fixed(s?.bonus ?? '0', 2), penalty: fixed(s?.penalty ?? '0', 2) };
    const dates = { computed_at: iso(s?.computed_at ?? null), approved_at: iso(s?.approved_at ?? null), paid_at: iso(s?.paid_at ?? null) };
    if (s && s.status !== 'pending') {
      return {
        ...common, ...payout, ...adjust, ...dates, rate, rate_overridden: s.rate_override !== null,
        sales_base: fixed(s.sales_base, 2), commission: fixed(s.commission, 2), total_commission: plus(s.commission, s.bonus),
        final_amount: fixed(s.final_amount, 2), accrual_count: s.accrual_count, needs_rate_count: s.needs_rate_count, status: s.status, exactBase: s.sales_base,
      };
    }
    const f = statementFigures({
      salesBase: a.sales_base,
      weightedBase: a.weighted_base,
      rateOverride: s?.rate_override ?? null,
      exchangeRate: payout.exchange_rate,
      bonus: adjust.bonus,
      penalty: adjust.penalty,
    });
    return {
      ...common, ...payout, ...adjust, ...dates, rate, rate_overridden: (s?.rate_override ?? null) !== null,
      ...f, accrual_count: a.accrual_count, needs_rate_count: a.needs_rate_count, status: 'pending' as const, exactBase: a.sales_base,
    };
  });
}

async function persist(ctx: Ctx, period: StoredPeriod, views: StatementView[], before: Map<string, repo.StoredStatement>) {
  const counts = { created: 0, updated: 0, unchanged: 0, frozen: 0 };
  const org = await repo.orgFacts(ctx.tx, orgOf(ctx));
  for (const v of views) {
    const prior = before.get(v.user.id);
    if (prior && prior.status !== 'pending') {
      counts.frozen++;
      continue;
    }
    const figures = { sales_base: v.exactBase, commission: v.commission, final_amount: v.final_amount, accrual_count: v.accrual_count, needs_rate_count: v.needs_rate_count };
    const same =
      prior &&
      money(prior.sales_base).equals(figures.sales_base) && money(prior.commission).equals(figures.commission) &&
      money(prior.final_amount).equals(figures.final_amount) && prior.accrual_count === figures.accrual_count && prior.needs_rate_count === figures.needs_rate_count;
    if (same) {
      counts.unchanged++;
      continue;
    }
    v.id = (await repo.saveFigures(ctx.tx, orgOf(ctx), { userId: v.user.id, period, currency: org.currency, actorId: ctx.actor.userId }, figures)) ?? v.id;
    counts[prior ? 'updated' : 'created']++;
  }
  return counts;
}

/** A commission run for every candidate of the period. */
export async function runPeriod(ctx: Ctx, period: StoredPeriod) {
  const orgId = orgOf(ctx);
  const converted = await resolveMissingRates(ctx);
  const before = new Map((await repo.storedStatements(ctx.tx, orgId, period.kind, period.start, null)).map((s) => [s.user_id, s]));
  const views = await computeStatements(ctx, period, null);
  const counts = await persist(ctx, period, views, before);
  await recordAudit(ctx, { entity: 'commission_run', entityId: `${period.kind}:${period.start}`, action: 'run', newValues: { ...counts, converted_accruals: converted } });
  return { counts, converted, views: await computeStatements(ctx, period, views.map((v) => v.user.id)) };
}

export interface Adjustment {
  user_id: string;
  rate?: string | undefined;
  percentage?: string | undefined;
  bonus?: string | undefined;
  penalty?: string | undefined;
  currency?: string | undefined;
}

/** Org-admin adjustments of a period, all or nothing; figures are recomputed, never taken from the client. */
export async function adjustStatements(ctx: Ctx, period: StoredPeriod, items: Adjustment[]) {
  const orgId = orgOf(ctx);
  const org = await repo.orgFacts(ctx.tx, orgId);
  const ids = uniq(items.map((i) => i.user_id));
  if (ids.some((id) => !isId(id))) throw notFound('User not found.');
  const members = await repo.membersAmong(ctx.tx, orgId, ids);
  if (members.length !== ids.length) throw notFound('User not found.');
  const before = new Map((await repo.storedStatements(ctx.tx, orgId, period.kind, period.start, ids)).map((s) => [s.user_id, s]));
  for (const [i, item] of items.entries()) {
    const prior = before.get(item.user_id);
    if (prior && prior.status !== 'pending') throw conflict(`The ${period.kind} statement from ${period.start} is ${prior.status} and can no longer be adjusted.`, 'statement_frozen');
    const payoutCurrency = item.currency ?? prior?.payout_currency ?? org.currency;
    const exchangeRate = item.rate ?? (item.currency && item.currency !== prior?.payout_currency ? '1' : (prior?.exchange_rate ?? '1'));
    if (payoutCurrency === org.currency && !money(exchangeRate).equals(1)) {
      throw badRequest('Invalid input.', { [String(i)]: { rate: [`The exchange rate must be 1 when commission is paid in ${org.currency}, the organisation's currency.`] } });
    }
    const next = {
      payout_currency: payoutCurrency,
      exchange_rate: exchangeRate,
      rate_override: item.percentage ?? prior?.rate_override ?? null,
      bonus: item.bonus ?? prior?.bonus ?? '0',
      penalty: item.penalty ?? prior?.penalty ?? '0',
    };
    const [saved] = await rows<{ id: string }>(
      ctx.tx,
      sql`INSERT INTO commission_statements (organization_id, user_id, period_kind, start_date, end_date, currency, payout_currency, exchange_rate,
            rate_override, bonus, penalty, created_by, updated_by)
          VALUES (${orgId}, ${item.user_id}, ${period.kind}, ${period.start}::date, ${period.end}::date, ${org.currency}, ${next.payout_currency},
            ${next.exchange_rate}, ${next.rate_override}, ${next.bonus}, ${next.penalty}, ${ctx.actor.userId}, ${ctx.actor.userId})
          ON CONFLICT (organization_id, user_id, period_kind, start_date) DO UPDATE SET payout_currency = EXCLUDED.payout_currency,
            exchange_rate = EXCLUDED.exchange_rate, rate_override = EXCLUDED.rate_override, bonus = EXCLUDED.bonus, penalty = EXCLUDED.penalty,
            updated_by = EXCLUDED.updated_by, version = commission_statements.version + 1
          WHERE commission_statements.status = 'pending'
          RETURNING id`,
    );
    // Approved by someone else meanwhile: the row lock made us wait, the status check refuses.
    if (!saved) throw conflict(`The ${period.kind} statement from ${period.start} was approved meanwhile and can no longer be adjusted.`, 'statement_frozen');
    const old = prior ? { payout_currency: prior.payout_currency, exchange_rate: prior.exchange_rate, rate_override: prior.rate_override, bonus: prior.bonus, penalty: prior.penalty } : null;
    await recordAudit(ctx, { entity: 'commission_statement', entityId: `${item.user_id}:${period.kind}:${period.start}`, action: 'adjust', oldValues: old, newValues: next });
  }
  const after = new Map((await repo.storedStatements(ctx.tx, orgId, period.kind, period.start, ids)).map((s) => [s.user_id, s]));
  const views = await computeStatements(ctx, period, ids);
  await persist(ctx, period, views, after);
  return computeStatements(ctx, period, ids);
}

async function requireStatement(ctx: Ctx, id: string) {
  const s = isId(id) ? await repo.findStatement(ctx.tx, orgOf(ctx), id, true) : undefined;
  if (!s) throw notFound('Commission statement not found.');
  return s;
}

/** pending → approved: freezes the period's figures and approves its accruals. */
export async function approveStatement(ctx: Ctx, id: string): Promise<StatementView> {
  const orgId = orgOf(ctx);
  const s = await requireStatement(ctx, id);
  if (s.status !== 'pending') throw conflict(`The statement is already ${s.status}.`, 'invalid_transition');
  const { today } = await repo.orgFacts(ctx.tx, orgId);
  if (s.end_date >= today) throw conflict(`The period ends on ${s.end_date}; a statement can be approved once its period is over.`, 'period_open');
  const period: StoredPeriod = { kind: s.period_kind, start: s.start_date, end: s.end_date };
  await resolveMissingRates(ctx);
  const [view] = await computeStatements(ctx, period, [s.user_id]);
  if (!view) throw notFound('Commission statement not found.');
  if (view.needs_rate_count > 0) throw conflict(`${view.needs_rate_count} payment(s) in this period await an exchange rate; record it first.`, 'needs_rate');
  const [taken] = await rows<{ n: number }>(
    ctx.tx,
    sql`SELECT count(*)::int AS n FROM commission_accruals WHERE organization_id = ${orgId} AND user_id = ${s.user_id}
        AND period_date BETWEEN ${s.start_date}::date AND ${s.end_date}::date AND status IN ('approved', 'paid')`,
  );
  if (taken && taken.n > 0) throw conflict('Part of this period was already approved in another statement.', 'already_approved');
  await persist(ctx, period, [view], new Map([[s.user_id, s]]));
  await ctx.tx.execute(sql`UPDATE commission_statements SET status = 'approved', approved_by = ${ctx.actor.userId}, approved_at = now(),
    updated_by = ${ctx.actor.userId}, version = version + 1 WHERE id = ${s.id}`);
  await ctx.tx.execute(sql`UPDATE commission_accruals SET status = 'approved' WHERE organization_id = ${orgId} AND user_id = ${s.user_id}
    AND period_date BETWEEN ${s.start_date}::date AND ${s.end_date}::date AND status = 'pending'`);
  await recordAudit(ctx, { entity: 'commission_statement', entityId: s.id, action: 'approve', oldValues: { status: 'pending' }, newValues: { status: 'approved', final_amount: view.final_amount } });
  const [approved] = await computeStatements(ctx, period, [s.user_id]);
  await notifyApproved(ctx, approved!);
  return approved!;
}

/** approved → paid. */
export async function payStatement(ctx: Ctx, id: string): Promise<StatementView> {
  const orgId = orgOf(ctx);
  const s = await requireStatement(ctx, id);
  if (s.status !== 'approved') throw conflict(s.status === 'paid' ? 'The statement is already paid.' : 'Approve the statement before paying it.', 'invalid_transition');
  await ctx.tx.execute(sql`UPDATE commission_statements SET status = 'paid', paid_by = ${ctx.actor.userId}, paid_at = now(),
    updated_by = ${ctx.actor.userId}, version = version + 1 WHERE id = ${s.id}`);
  await ctx.tx.execute(sql`UPDATE commission_accruals SET status = 'paid' WHERE organization_id = ${orgId} AND user_id = ${s.user_id}
    AND period_date BETWEEN ${s.start_date}::date AND ${s.end_date}::date AND status = 'approved'`);
  await recordAudit(ctx, { entity: 'commission_statement', entityId: s.id, action: 'pay', oldValues: { status: 'approved' }, newValues: { status: 'paid', final_amount: s.final_amount } });
  const [paid] = await computeStatements(ctx, { kind: s.period_kind, start: s.start_date, end: s.end_date }, [s.user_id]);
  return paid!;
}
