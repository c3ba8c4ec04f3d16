// The dashboards' maintained aggregates (migration 0008): after any sequence of workflow steps
// they equal a recomputation from the rows, including under concurrent verifications; and the
// range splitter covers every day of a range exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/core/db/database.ts';
import { rebuildDashboardTotalsCommand } from '../../src/sales/dashboard/cli.ts';
import { recentPaymentsOf } from '../../src/sales/dashboard/repo.ts';
import { splitRange } from '../../src/sales/dashboard/totals.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;

const TABLES = {
  sales_daily: 'status, day, user_id, currency',
  sales_monthly: 'status, month, user_id, currency',
  payment_totals: 'user_id, status, payment_method, currency',
  deal_totals: 'user_id, verification_status',
  client_totals: 'client_id, user_id, currency',
  invoice_totals: 'status, bucket',
} as const;

/** Every aggregate row of one organisation that is not all zeros, in a stable text form. */
async function snapshot(orgId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, key] of Object.entries(TABLES)) {
    const list = await t.db.system((tx) =>
      rows<{ line: string }>(tx, sql.raw(`SELECT concat_ws('|', ${key}, to_jsonb(t) - '{organization_id,${key.replace(/\s/g, '')}}'::text[]) AS line
        FROM ${table} t WHERE organization_id = '${orgId}'
          AND NOT (to_jsonb(t) - '{organization_id,${key.replace(/\s/g, '')}}'::text[]) <@ '{"amount":0,"payments":0,"deals":0,"deal_value":0,"verified_total":0,"invoices":0}'::jsonb
        ORDER BY 1`)),
    );
    out[table] = list.map((r) => r.line);
  }
  return out;
}

async function expectMatchesRebuild(orgId: string) {
  const maintained = await snapshot(orgId);
  await t.db.system((tx) => tx.execute(sql`SELECT app.rebuild_dashboard_totals(${orgId})`));
  const rebuilt = await snapshot(orgId);
  expect(maintained).toEqual(rebuilt);
  return rebuilt;
}

const post = (url: string, token: string, payload: object = {}) => t.app.inject({ method: 'POST', url, headers: auth(token), payload });

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Totals Org');
  other = await createOrg(t, 'Totals Other');
});
afterAll(() => t.close());

describe('range splitting', () => {
  const days = (from: string, to: string) => {
    const out: string[] = [];
    for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86_400_000)) out.push(d.toISOString().slice(0, 10));
    return out;
  };
  const covered = (start: string, end: string) => {
    const parts = splitRange(start, end);
    const fromMonths = parts.months ? days(parts.months.from!, end).filter((d) => d.slice(0, 7) >= parts.months!.from!.slice(0, 7) && d.slice(0, 7) <= parts.months!.to!.slice(0, 7)) : [];
    return [...fromMonths, ...parts.days.flatMap((r) => days(r.from, r.to))].sort();
  };

  it('answers whole months from the monthly table and the loose days from the daily one', () => {
    expect(splitRange('2026-01-01', '2026-03-31')).toEqual({ months: { from: '2026-01-01', to: '2026-03-01' }, days: [] });
    expect(splitRange('2026-01-15', '2026-03-10')).toEqual({ months: { from: '2026-02-01', to: '2026-02-01' }, days: [{ from: '2026-01-15', to: '2026-01-31' }, { from: '2026-03-01', to: '2026-03-10' }] });
    expect(splitRange('2026-01-15', '2026-02-10')).toEqual({ months: null, days: [{ from: '2026-01-15', to: '2026-02-10' }] });
    expect(splitRange('2024-02-01', '2024-02-29')).toEqual({ months: { from: '2024-02-01', to: '2024-02-01' }, days: [] });
    expect(splitRange(undefined, '2026-03-10')).toEqual({ months: { from: null, to: '2026-02-01' }, days: [{ from: '2026-03-01', to: '2026-03-10' }] });
    expect(splitRange('2026-03-10', undefined)).toEqual({ months: { from: '2026-04-01', to: null }, days: [{ from: '2026-03-10', to: '2026-03-31' }] });
    expect(splitRange('2026-03-10', '2026-03-09')).toEqual({ months: null, days: [] });
  });

  it('covers every day of bounded ranges exactly once', () => {
    for (const [start, end] of [['2025-11-17', '2026-02-28'], ['2025-12-31', '2026-01-01'], ['2026-01-01', '2026-01-01'], ['2023-02-28', '2024-03-01']] as const) {
      expect(covered(start, end), `${start}..${end}`).toEqual(days(start, end));
    }
  });
});

describe('maintained totals', () => {
  it('equal a recomputation after creating, verifying, rejecting, refunding, writing off, cancelling and deleting', async () => {
    const s = org.users.sales.token;
    const v = org.users.verifier.token;
    const client = await createClient(t, s, { client_name: 'Totals Client' });
    const usd = await createDeal(t, s, client.id, {
      deal_value: '3000.00', payment_method: 'bank',
      payments: ['500.00', '300.00', '200.00', '400.00', '100.00'].map((a) => ({ payment_date: today(), received_amount: a })),
    });
    const eur = await createDeal(t, s, client.id, { deal_value: '800.00', currency: 'EUR', payment_method: 'cash', payments: [{ payment_date: '2026-01-15', received_amount: '250.00' }] });
    const doomed = await createDeal(t, s, client.id, { deal_value: '900.00', payment_method: 'wallet', payments: [{ payment_date: today(), received_amount: '90.00' }] });
    const [p1, p2, p3, p4, p5] = usd.payments.map((p) => p.id);
    expect((await post(`/api/verifier/verify/${p1}/`, v, { status: 'approved', verified_amount: '450.00' })).statusCode).toBe(200);
    expect((await post(`/api/verifier/verify/${p2}/`, v, { status: 'rejected', remarks: 'Bounced', failure_reason: 'cheque_bounce' })).statusCode).toBe(200);
    expect((await post(`/api/verifier/verify/${p4}/`, v, { status: 'approved' })).statusCode).toBe(200);
    expect((await post(`/api/verifier/verify/${p5}/`, v, { status: 'approved' })).statusCode).toBe(200);
    expect((await post(`/api/verifier/verify/${eur.payments[0]!.id}/`, v, { status: 'approved' })).statusCode).toBe(200);
    expect((await post(`/api/payments/${p4}/refund/`, v, { reason: 'Order cancelled' })).statusCode).toBe(200);
    expect((await post(`/api/payments/${p5}/bad-debt/`, v, { reason: 'Unreachable' })).statusCode).toBe(200);
    const invoices = await t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM invoices WHERE payment_id = ${p3}`));
    expect((await t.app.inject({ method: 'DELETE', url: `/api/invoices/${invoices[0]!.id}/`, headers: auth(org.users.admin.token) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/deals/${doomed.id}/`, headers: auth(org.users.admin.token) })).statusCode).toBe(204);

    const totals = await expectMatchesRebuild(org.id);
    const sales = org.users.sales.id;
    // Spot checks against hand-computed figures (one line per currency, nothing summed across).
    expect(totals.payment_totals).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^${sales}\\|verified\\|bank\\|USD\\|.*"amount": 450(\\.00)?,.*"payments": 1`)),
      expect.stringMatching(new RegExp(`^${sales}\\|verified\\|cash\\|EUR\\|.*"amount": 250(\\.00)?,.*"payments": 1`)),
      expect.stringMatching(new RegExp(`^${sales}\\|refunded\\|bank\\|USD\\|.*"amount": 400(\\.00)?,.*"payments": 1`)),
    ]));
    // The deleted deal's wallet payment counts nowhere.
    expect(totals.payment_totals!.some((l) => l.includes('|wallet|'))).toBe(false);
    expect(totals.sales_monthly).toEqual(expect.arrayContaining([expect.stringMatching(/^verified\|2026-01-01\|.*\|EUR\|/)]));

    // And the dashboards read them: verified USD revenue is 450 (p1) — p4 refunded, p5 bad debt.
    const dash = (await t.app.inject({ method: 'GET', url: '/api/verifier/dashboard/', headers: auth(v) })).json();
    expect(dash).toMatchObject({ total_payments: 6, total_successful_payments: 2, total_revenue: '450.00', total_refunded_amount: '400.00' });
    expect(dash.revenue_by_currency).toEqual([{ currency: 'EUR', amount: '250.00', count: 1 }, { currency: 'USD', amount: '450.00', count: 1 }]);
  });

  it('stay exact under concurrent verifications of one salesperson’s payments, and never touch another organisation', async () => {
    const before = await snapshot(other.id);
    const s = org.users.sales.token;
    const client = await createClient(t, s, { client_name: 'Busy Client' });
    const deal = await createDeal(t, s, client.id, {
      deal_value: '9000.00', payment_method: 'bank',
      payments: Array.from({ length: 12 }, (_, i) => ({ payment_date: today(), received_amount: `${100 + i}.00` })),
    });
    const answers = await Promise.all(deal.payments.map((p, i) =>
      post(`/api/verifier/verify/${p.id}/`, org.users.verifier.token, i % 3 === 0 ? { status: 'rejected', remarks: 'No', failure_reason: 'bank_decline' } : { status: 'approved' })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(12).fill(200));
    await expectMatchesRebuild(org.id);
    expect(await snapshot(other.id)).toEqual(before);
  });

  it('are written at commit: one transaction recording a payment and deleting its deal nets to nothing; a rollback leaves them untouched', async () => {
    const s = org.users.sales;
    const client = await createClient(t, s.token, { client_name: 'Same Transaction Client' });
    const deal = await createDeal(t, s.token, client.id, { deal_value: '700.00', payment_method: 'cash' });
    const before = await expectMatchesRebuild(org.id);
    const pending = () => t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM totals_pending`));
    await t.db.tenant({ orgId: org.id, userId: s.id }, async (tx) => {
      await tx.execute(sql`INSERT INTO payments (organization_id, deal_id, transaction_id, payment_date, received_amount, payment_method, created_by)
        VALUES (${org.id}, ${deal.id}, 'TXN-SAME-1', ${today()}, '70.00', 'cash', ${s.id})`);
      // Still pending inside the transaction: the counter rows are not locked yet.
      expect((await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM totals_pending`))[0]!.n).toBeGreaterThan(0);
      await tx.execute(sql`UPDATE deals SET deleted_at = now() WHERE id = ${deal.id}`);
    });
    expect((await pending())[0]!.n).toBe(0);
    const after = await expectMatchesRebuild(org.id);
    // The deal and its payment count nowhere, exactly as before the deal existed.
    expect(after.sales_daily).toEqual(before.sales_daily);
    expect(after.payment_totals).toEqual(before.payment_totals);

    const live = await createDeal(t, s.token, client.id, { deal_value: '700.00', payment_method: 'cash' });
    const kept = await expectMatchesRebuild(org.id);
    await expect(t.db.tenant({ orgId: org.id, userId: s.id }, async (tx) => {
      await tx.execute(sql`INSERT INTO payments (organization_id, deal_id, transaction_id, payment_date, received_amount, payment_method, created_by)
        VALUES (${org.id}, ${live.id}, 'TXN-ROLLED-BACK', ${today()}, '70.00', 'cash', ${s.id})`);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(await snapshot(org.id)).toEqual(kept);
    expect((await pending())[0]!.n).toBe(0);
  });

  it('stay exact when one salesperson records 24 payments at once: distinct codes, one e-mail job per payment', async () => {
    const s = org.users.sales.token;
    const client = await createClient(t, s, { client_name: 'Parallel Client' });
    const deals = await Promise.all(Array.from({ length: 4 }, () => createDeal(t, s, client.id, { deal_value: '100000.00', payment_method: 'bank' })));
    const jobsBefore = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'send_email'`));
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      post(`/api/deals/${deals[i % 4]!.deal_id}/payments/`, s, { payment_date: today(), received_amount: `${10 + i}.00` })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(24).fill(201));
    const codes = answers.map((a) => a.json().transaction_id as string);
    expect(new Set(codes).size).toBe(24);
    const invoiceCodes = await t.db.system((tx) => rows<{ code: string }>(tx, sql`SELECT invoice_code AS code FROM invoices WHERE payment_id = ANY(${sql.param(answers.map((a) => a.json().id as string))}::bigint[])`));
    expect(new Set(invoiceCodes.map((r) => r.code)).size).toBe(24);
    await expectMatchesRebuild(org.id);
    const jobsAfter = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'send_email'`));
    expect(jobsAfter[0]!.n - jobsBefore[0]!.n).toBe(24);
  });

  it('recent payments: read from the deals with the newest payments, equal to reading them all', async () => {
    const viaDeals = (userId: string) => t.db.tenant({ orgId: org.id, userId }, (tx) => recentPaymentsOf(tx, org.id, userId, 5));
    const direct = (userId: string) => t.db.system((tx) => rows<{ id: string }>(tx, sql`
      SELECT p.id FROM payments p JOIN deals d ON d.id = p.deal_id
      WHERE p.organization_id = ${org.id} AND d.created_by = ${userId} AND d.deleted_at IS NULL ORDER BY p.created_at DESC, p.id DESC LIMIT 5`));
    const mine = await viaDeals(org.users.sales.id);
    expect(mine).toHaveLength(5);
    expect(mine.map((p) => p.id)).toEqual((await direct(org.users.sales.id)).map((p) => p.id));
    const [stale] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`
      SELECT count(*)::int AS n FROM deals d WHERE d.organization_id = ${org.id}
        AND d.last_payment_at IS DISTINCT FROM (SELECT max(created_at) FROM payments p WHERE p.deal_id = d.id)`));
    expect(stale!.n).toBe(0);
    expect(await viaDeals(org.users.verifier.id)).toEqual([]);
  });

  it('are recomputed by prs rebuild-dashboard-totals after being lost', async () => {
    const maintained = await snapshot(org.id);
    const untouched = await snapshot(other.id);
    await t.db.system(async (tx) => {
      for (const table of Object.keys(TABLES)) await tx.execute(sql.raw(`DELETE FROM ${table} WHERE organization_id = '${org.id}'`));
    });
    expect((await snapshot(org.id)).payment_totals).toEqual([]);
    const out: string[] = [];
    expect(await rebuildDashboardTotalsCommand.run({ config: t.config, db: t.db, args: ['--org', org.id], out: (l) => out.push(l) })).toBe(0);
    expect(await snapshot(org.id)).toEqual(maintained);
    expect(await snapshot(other.id)).toEqual(untouched);
    expect(out.at(-1)).toBe('Rebuilt the dashboard totals of 1 organisation(s).');
    expect(await rebuildDashboardTotalsCommand.run({ config: t.config, db: t.db, args: ['--org', '900000000000'], out: (l) => out.push(l) })).toBe(1);
  });
});
