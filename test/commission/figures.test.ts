// Commission figures for a fixed data set, hand-computed to the cent: two currencies (a rate
// recorded after one payment was already verified), plan rates, bonus and penalty, a payout in
// another currency, a refund before approval (reversed) and after payment (claw-back), and runs
// repeated without doubling anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { today } from '../support/sales.ts';
import { harness } from '../sales/helpers.ts';
import { commissionHarness, yesterday } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let h: ReturnType<typeof commissionHarness>;
const pay: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Commission Figures Org');
  h = commissionHarness(t);
  const { sales, lead, admin } = org.users;
  // The lead earns 7.5 % from today on (plans apply to payments verified from their day on).
  expect((await h.call('POST', '/api/commission/plans/', admin.token, { user_id: lead.id, rate: '7.50' })).statusCode).toBe(201);

  pay.a1 = (await h.verifiedPayment(org, sales, 'USD', '1234.56')).paymentId;
  pay.a2 = (await h.verifiedPayment(org, sales, 'USD', '333.33')).paymentId;
  pay.b1 = (await h.verifiedPayment(org, sales, 'EUR', '1000.00')).paymentId; // no EUR rate yet
  pay.a3 = (await h.verifiedPayment(org, sales, 'USD', '250.00')).paymentId; // refunded later
  pay.l1 = (await h.verifiedPayment(org, lead, 'USD', '1500.00')).paymentId;
});
afterAll(() => t.close());

const monthly = () => h.call('GET', `/api/commission/summary/?period=monthly&start_date=${today()}`, org.users.admin.token);
/** The statement of `userId`; the user's id is a JSON integer on the wire. */
const statementOf = (body: { statements: { user: { id: unknown } }[] }, userId: string) => {
  const s = body.statements.find((x) => String(x.user.id) === String(userId));
  if (s) expect(s.user.id).toBe(Number(userId));
  return s as Record<string, unknown>;
};

describe('accruals', () => {
  it('accrue one per verified payment for the deal owner, in the organisation currency, rounded half-up once', async () => {
    expect(await h.accrualOf(pay.a1!)).toMatchObject({ status: 'pending', fx_rate: '1.00000000', rate: '5.00', commission: '61.73', period_date: today() });
    // 333.33 × 5 % = 16.6665 → 16.67 (half-up, not banker's 16.67/16.66)
    expect(await h.accrualOf(pay.a2!)).toMatchObject({ commission: '16.67' });
    expect(await h.accrualOf(pay.l1!)).toMatchObject({ rate: '7.50', commission: '112.50' });
  });

  it('records a foreign payment without a rate as needs_rate, and converts it once the rate is recorded', async () => {
    expect(await h.accrualOf(pay.b1!)).toMatchObject({ status: 'needs_rate', fx_rate: null, base: null, commission: null });
    const before = (await monthly()).json();
    expect(statementOf(before, org.users.sales.id)).toMatchObject({ needs_rate_count: 1, accrual_count: 3 });

    const rate = await h.call('POST', '/api/commission/exchange-rates/', org.users.admin.token, { from_currency: 'eur', rate: '1.0857' });
    expect(rate.statusCode, rate.body).toBe(201);
    expect(rate.json()).toMatchObject({ from_currency: 'EUR', to_currency: 'USD', rate: '1.08570000', date: today(), converted_accruals: 1 });
    // 1000.00 EUR × 1.0857 = 1085.70 USD; × 5 % = 54.285 → 54.29
    expect(await h.accrualOf(pay.b1!)).toMatchObject({ status: 'pending', fx_rate: '1.08570000', base: '1085.7000000000', commission: '54.29' });

    pay.b2 = (await h.verifiedPayment(org, org.users.sales, 'EUR', '777.77')).paymentId;
    // 777.77 × 1.0857 = 844.424889; × 5 % = 42.22124445 → 42.22
    expect(await h.accrualOf(pay.b2)).toMatchObject({ fx_rate: '1.08570000', base: '844.4248890000', commission: '42.22' });
  });
});

describe('statements and runs', () => {
  it('computes the period statement from exact bases, and a refund before approval drops the payment', async () => {
    // Σ base = 1234.56 + 333.33 + 1085.70 + 844.424889 + 250.00 = 3748.014889; × 5 % = 187.40074445 → 187.40
    let s = statementOf((await monthly()).json(), org.users.sales.id);
    expect(s).toMatchObject({ id: null, status: 'pending', currency: 'USD', sales_base: '3748.01', rate: '5.00', commission: '187.40', final_amount: '187.40', accrual_count: 5, needs_rate_count: 0 });

    const run = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'monthly' });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json()).toMatchObject({ period: 'monthly', created: 2, updated: 0, frozen: 0 });
    const rows = () => h.q<{ user_id: string; commission: string; sales_base: string; version: number }>(
      sql`SELECT user_id, commission::text AS commission, sales_base::text AS sales_base, version FROM commission_statements
          WHERE organization_id = ${org.id} AND period_kind = 'monthly' ORDER BY user_id`,
    );
    expect((await rows()).find((r) => r.user_id === String(org.users.sales.id))).toMatchObject({ commission: '187.40', sales_base: '3748.0148890000' });

    await h.refund(org, pay.a3!);
    expect(await h.accrualOf(pay.a3!)).toMatchObject({ status: 'reversed', reversed_by_id: null });
    // Without the refunded 250.00: Σ base = 3498.014889; × 5 % = 174.90074445 → 174.90
    // (the payments' own commissions 61.73 + 16.67 + 54.29 + 42.22 = 174.91: the statement rounds once, from exact bases)
    s = statementOf((await monthly()).json(), org.users.sales.id);
    expect(s).toMatchObject({ sales_base: '3498.01', commission: '174.90', accrual_count: 4 });

    const rerun = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'monthly' });
    expect(rerun.json()).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    const again = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'monthly' });
    expect(again.json()).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    const stored = await rows();
    expect(stored).toHaveLength(2);
    expect(stored.find((r) => r.user_id === String(org.users.sales.id))).toMatchObject({ commission: '174.90', version: 2 });
  });

  it('replays a run with the same Idempotency-Key and refuses the key with another body', async () => {
    const key = { 'idempotency-key': 'run-monthly-1' };
    const first = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'monthly' }, key);
    const replay = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'monthly' }, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect((await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'weekly' }, key)).statusCode).toBe(422);
  });

  it('applies bonus, penalty, a rate override and a payout currency; totals never mix currencies', async () => {
    const { sales, lead, admin } = org.users;
    const res = await h.call('PUT', '/api/commission/commissions/bulk-update/', admin.token, [
      { id: null, user_id: sales.id, totalSales: 999999, currency: 'USD', rate: 1, percentage: 5, bonus: 100, penalty: '25.50', start_date: '2024-01-01', end_date: '2024-12-31' },
      { user_id: lead.id, totalSales: 1, currency: 'NPR', rate: '133.5', percentage: 7.5, bonus: 500, penalty: 0 },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().updated_commissions as Record<string, unknown>[];
    // Sales: 174.90 + 100.00 − 25.50 = 249.40 (totalSales from the client is ignored)
    // user_id stays a JSON string on the web client's grid (its export keeps only string ids).
    expect(rows.find((r) => r.user_id === String(sales.id))).toMatchObject({ totalSales: '3498.01', convertedAmt: '174.90', bonus: '100.00', penalty: '25.50', total: '274.90', totalReceivable: '249.40', currency: 'USD', rate: '1.00000000', percentage: '5.00' });
    // Lead: round(1500.00 × 7.5 / 100 × 133.5) = 15018.75 NPR, + 500.00 bonus
    expect(rows.find((r) => r.user_id === String(lead.id))).toMatchObject({ totalSales: '1500.00', salesCurrency: 'USD', currency: 'NPR', rate: '133.50000000', convertedAmt: '15018.75', totalReceivable: '15518.75' });

    const yearly = (await h.call('GET', `/api/commission/summary/?period=yearly`, admin.token)).json();
    expect(yearly.totals).toMatchObject({ sales_base: '4998.01' });
    // The seeds' analytics name for the same figures.
    expect((await h.call('GET', `/api/analytics/commission/?period=yearly`, admin.token)).json()).toEqual(yearly);
    expect(yearly.totals.payouts).toEqual([
      expect.objectContaining({ currency: 'NPR', final_amount: '15518.75' }),
      expect.objectContaining({ currency: 'USD', commission: '174.90', final_amount: '249.40' }),
    ]);

    const override = await h.call('PUT', '/api/commission/commissions/bulk-update/', admin.token, [{ user_id: sales.id, percentage: '6.25' }]);
    // 3498.014889 × 6.25 % = 218.6259305625 → 218.63; + 100.00 − 25.50 = 293.13
    expect(override.json().updated_commissions[0]).toMatchObject({ convertedAmt: '218.63', totalReceivable: '293.13', percentage: '6.25', bonus: '100.00' });
    const salesOwn = (await h.call('GET', '/api/commission/summary/?period=yearly', sales.token)).json();
    expect(salesOwn).toMatchObject({ scope: 'own', statements: [expect.objectContaining({ final_amount: '293.13', rate_overridden: true })] });
  });
});

describe('approval, payment and claw-back', () => {
  it('approves only ended periods, pays, and claws back a refund of paid commission in the current period', async () => {
    const { freshUser } = harness(t);
    const seller = await freshUser(org, 'Salesperson', 'Clawback');
    const { paymentId } = await h.verifiedPayment(org, seller, 'USD', '400.00');
    // As if verified yesterday (the period date is the verification day in the organisation's time zone).
    await h.q(sql`UPDATE commission_accruals SET period_date = ${yesterday()}::date WHERE payment_id = ${paymentId}`);

    const run = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'daily', start_date: yesterday() });
    const statement = (run.json().statements as { id: number; user: { id: number } }[]).find((s) => String(s.user.id) === String(seller.id))!;
    expect(typeof statement.id).toBe('number');
    expect(statement).toMatchObject({ commission: '20.00', status: 'pending' });

    expect((await h.call('POST', `/api/commission/statements/${statement.id}/approve/`, seller.token)).statusCode).toBe(403);
    expect((await h.call('POST', `/api/commission/statements/${statement.id}/pay/`, org.users.admin.token)).statusCode).toBe(409);
    const approved = await h.call('POST', `/api/commission/statements/${statement.id}/approve/`, org.users.admin.token);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', final_amount: '20.00', approved_at: expect.any(String) });
    expect((await h.call('POST', `/api/commission/statements/${statement.id}/approve/`, org.users.admin.token)).statusCode).toBe(409);
    expect(await h.accrualOf(paymentId)).toMatchObject({ status: 'approved' });
    // The salesperson is notified of the approval.
    const notes = await h.q<{ notification_type: string; title: string }>(sql`SELECT notification_type, title FROM notifications WHERE recipient_id = ${seller.id} AND notification_type LIKE 'commission%'`);
    expect(notes).toEqual([expect.objectContaining({ notification_type: 'commission_approved', title: expect.stringContaining('20.00 USD') })]);
    const paid = await h.call('POST', `/api/commission/statements/${statement.id}/pay/`, org.users.admin.token);
    expect(paid.json()).toMatchObject({ status: 'paid', paid_at: expect.any(String) });
    expect(await h.accrualOf(paymentId)).toMatchObject({ status: 'paid' });

    await h.refund(org, paymentId, 'bad-debt');
    const original = await h.accrualOf(paymentId);
    expect(original).toMatchObject({ status: 'paid', reversed_by_id: expect.any(String) });
    const [claw] = await h.q<{ amount: string; commission: string; status: string; period_date: string; reverses_id: string }>(
      sql`SELECT amount::text AS amount, commission::text AS commission, status, to_char(period_date, 'YYYY-MM-DD') AS period_date, reverses_id
          FROM commission_accruals WHERE id = ${original!.reversed_by_id}`,
    );
    expect(claw).toEqual({ amount: '-400.00', commission: '-20.00', status: 'pending', period_date: today(), reverses_id: original!.id });
    // On the wire the links between accrual and claw-back are integer ids like every other id.
    const accruals = (await h.call('GET', `/api/commission/user/${seller.id}/`, org.users.admin.token)).json().accruals as { id: unknown; reverses: unknown; reversed_by: unknown }[];
    expect(accruals.find((a) => a.id === Number(original!.id))).toMatchObject({ reverses: null, reversed_by: Number(original!.reversed_by_id) });
    expect(accruals.find((a) => a.id === Number(original!.reversed_by_id))).toMatchObject({ reverses: Number(original!.id), reversed_by: null });

    // The paid period is frozen; the claw-back lands in today's period.
    const frozen = (await h.call('GET', `/api/commission/summary/?period=daily&start_date=${yesterday()}&user_id=${seller.id}`, org.users.admin.token)).json();
    expect(frozen.statements[0]).toMatchObject({ status: 'paid', commission: '20.00' });
    const current = (await h.call('GET', `/api/commission/summary/?period=daily&user_id=${seller.id}`, org.users.admin.token)).json();
    expect(current.statements[0]).toMatchObject({ status: 'pending', sales_base: '-400.00', commission: '-20.00', final_amount: '-20.00' });
    // A second run for the paid period changes nothing.
    const rerun = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'daily', start_date: yesterday() });
    expect(rerun.json()).toMatchObject({ created: 0, updated: 0 });
    expect(rerun.json().frozen).toBeGreaterThanOrEqual(1);

    // Today's statement cannot be approved before the day is over.
    const todayRun = await h.call('POST', '/api/commission/run/', org.users.admin.token, { period: 'daily' });
    const open = (todayRun.json().statements as { id: number; user: { id: number } }[]).find((s) => String(s.user.id) === String(seller.id))!;
    const refused = await h.call('POST', `/api/commission/statements/${open.id}/approve/`, org.users.admin.token);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('period_open');
  });
});
