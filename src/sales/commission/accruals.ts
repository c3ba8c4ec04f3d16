// Commission accrues on verified money: one accrual per verified payment, for the deal's owner,
// converted to the organisation's currency at the rate in force on the verification day.
//
// Without a recorded rate for a foreign currency the accrual is still recorded (nothing is lost
// and verification is never blocked by bookkeeping) with fx_rate/base/commission null and status
// `needs_rate`; it counts in no total until a rate is recorded (POST exchange-rates or a run
// resolves it), and a statement with such accruals cannot be approved.
//
// A refund or bad debt reverses the accrual: one not yet approved is marked `reversed` and drops
// out of every total; one already approved or paid stays as it was and a `reversal` row with the
// negated figures lands in the period of the write-off (a claw-back), linked both ways.
import type { AccrualRow } from './types.ts';
import { rows, sql } from '../../core/db/database.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { recordAudit } from '../../core/audit/recorder.ts';
import { accrualCommission, convert } from './formula.ts';
import { fxRate, orgFacts, planRate } from './repo.ts';

interface VerifiedPayment {
  id: string;
  deal_id: string;
  user_id: string;
  transaction_id: string;
  status: string;
  verified_amount: string | null;
  currency: string;
  org_currency: string;
  period_date: string;
}

/** Called when a payment's decision is recorded; a no-op unless the payment is verified. Idempotent. */
export async function accrueCommission(ctx: ServiceContext, paymentId: string): Promise<void> {
  const orgId = ctx.orgId;
  if (!orgId) return;
  const [p] = await rows<VerifiedPayment>(
    ctx.tx,
    sql`SELECT p.id, p.deal_id, d.created_by AS user_id, p.transaction_id, p.status, p.verified_amount::text AS verified_amount, d.currency,
               o.currency AS org_currency, to_char((COALESCE(p.verified_at, now()) AT TIME ZONE o.time_zone)::date, 'YYYY-MM-DD') AS period_date
        FROM payments p JOIN deals d ON d.id = p.deal_id JOIN organizations o ON o.id = p.organization_id
        WHERE p.organization_id = ${orgId} AND p.id = ${paymentId}`,
  );
  if (!p || p.status !== 'verified' || p.verified_amount === null) return;
  const fx = await fxRate(ctx.tx, orgId, p.currency, p.org_currency, p.period_date);
  const rate = await planRate(ctx.tx, orgId, p.user_id, p.period_date);
  const base = fx === null ? null : convert(p.verified_amount, fx);
  const commission = base === null ? null : accrualCommission(base, rate);
  const status = fx === null ? 'needs_rate' : 'pending';
  const [created] = await rows<{ id: string }>(
    ctx.tx,
    sql`INSERT INTO commission_accruals (organization_id, user_id, payment_id, deal_id, amount, currency, org_currency, fx_rate, base, rate,
          commission, status, period_date)
        VALUES (${orgId}, ${p.user_id}, ${p.id}, ${p.deal_id}, ${p.verified_amount}, ${p.currency}, ${p.org_currency}, ${fx}, ${base}, ${rate},
          ${commission}, ${status}, ${p.period_date}::date)
        ON CONFLICT (payment_id) WHERE kind = 'accrual' DO NOTHING
        RETURNING id`,
  );
  if (!created) return;
  await recordAudit(ctx, {
    entity: 'commission_accrual',
    entityId: created.id,
    action: 'create',
    newValues: { payment: p.transaction_id, user_id: p.user_id, amount: p.verified_amount, currency: p.currency, fx_rate: fx, rate, commission, status, period_date: p.period_date },
  });
}

/** The accrual columns a reversal reads (the row type the API presents, plus its owner). */
type ReversibleAccrual = Pick<AccrualRow, 'id' | 'payment_id' | 'deal_id' | 'amount' | 'currency' | 'org_currency' | 'fx_rate' | 'base' | 'rate' | 'commission' | 'status' | 'reversed_at'> & {
  user_id: string;
};

/** Called when a verified payment is refunded or written off as bad debt. Idempotent. */
export async function reverseCommission(ctx: ServiceContext, paymentId: string, kind: string, reason: string): Promise<void> {
  const orgId = ctx.orgId;
  if (!orgId) return;
  const [a] = await rows<ReversibleAccrual>(
    ctx.tx,
    sql`SELECT id, user_id, payment_id, deal_id, amount::text AS amount, currency, org_currency, fx_rate::text AS fx_rate, base::text AS base,
               rate::text AS rate, commission::text AS commission, status, reversed_at
        FROM commission_accruals WHERE organization_id = ${orgId} AND payment_id = ${paymentId} AND kind = 'accrual' FOR UPDATE`,
  );
  if (!a || a.reversed_at || a.status === 'reversed') return;
  const why = `${kind.replace('_', ' ')}: ${reason.trim()}`.slice(0, 2000);
  if (a.status === 'pending' || a.status === 'needs_rate') {
    await ctx.tx.execute(sql`UPDATE commission_accruals SET status = 'reversed', reversal_reason = ${why}, reversed_at = now() WHERE id = ${a.id}`);
    await recordAudit(ctx, { entity: 'commission_accrual', entityId: a.id, action: 'reverse', oldValues: { status: a.status }, newValues: { status: 'reversed', reason: why } });
    return;
  }
  // Approved or paid: the original stays; a claw-back lands in the period of the write-off.
  const { today } = await orgFacts(ctx.tx, orgId);
  const neg = (v: string | null) => (v === null ? null : v.startsWith('-') ? v.slice(1) : `-${v}`);
  const [claw] = await rows<{ id: string }>(
    ctx.tx,
    sql`INSERT INTO commission_accruals (organization_id, user_id, payment_id, deal_id, kind, amount, currency, org_currency, fx_rate, base, rate,
          commission, status, period_date, reverses_id, reversal_reason)
        VALUES (${orgId}, ${a.user_id}, ${a.payment_id}, ${a.deal_id}, 'reversal', ${neg(a.amount)}, ${a.currency}, ${a.org_currency}, ${a.fx_rate},
          ${neg(a.base)}, ${a.rate}, ${neg(a.commission)}, 'pending', ${today}::date, ${a.id}, ${why})
        RETURNING id`,
  );
  await ctx.tx.execute(sql`UPDATE commission_accruals SET reversed_by_id = ${claw!.id}, reversal_reason = ${why}, reversed_at = now() WHERE id = ${a.id}`);
  await recordAudit(ctx, {
    entity: 'commission_accrual',
    entityId: a.id,
    action: 'reverse',
    oldValues: { status: a.status },
    newValues: { reversal_id: claw!.id, commission: neg(a.commission), period_date: today, reason: why },
  });
}

/** Converts `needs_rate` accruals for which a rate is now recorded. Returns how many. */
export async function resolveMissingRates(ctx: ServiceContext): Promise<number> {
  const orgId = ctx.orgId;
  if (!orgId) return 0;
  const ready = await rows<{ id: string; amount: string; rate: string; fx: string }>(
    ctx.tx,
    sql`SELECT id, amount, rate, fx FROM (
          SELECT a.id, a.amount::text AS amount, a.rate::text AS rate, app.fx_rate(a.organization_id, a.currency, a.org_currency, a.period_date)::text AS fx
          FROM commission_accruals a WHERE a.organization_id = ${orgId} AND a.status = 'needs_rate' FOR UPDATE) x
        WHERE fx IS NOT NULL`,
  );
  for (const r of ready) {
    const base = convert(r.amount, r.fx);
    const commission = accrualCommission(base, r.rate);
    await ctx.tx.execute(sql`UPDATE commission_accruals SET fx_rate = ${r.fx}, base = ${base}, commission = ${commission}, status = 'pending' WHERE id = ${r.id}`);
    await recordAudit(ctx, { entity: 'commission_accrual', entityId: r.id, action: 'convert', oldValues: { status: 'needs_rate' }, newValues: { fx_rate: r.fx, commission, status: 'pending' } });
  }
  return ready.length;
}
