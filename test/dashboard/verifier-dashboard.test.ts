// The verifier dashboard over a fixed data set, and the web client's contract for its panels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractEntry, clientRequest, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let nprPayment: string;
const get = (url: string, token?: string) => t.app.inject({ method: 'GET', url, headers: token ? auth(token) : {} });

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Verifier Dash Org');
  other = await createOrg(t, 'Verifier Dash Other');
  const s = org.users.sales.token;
  const client = await createClient(t, s, { client_name: 'Panel Client' });
  const usd = await createDeal(t, s, client.id, {
    deal_value: '2000.00', payment_method: 'bank',
    payments: ['500.00', '300.00', '200.00', '400.00', '100.00'].map((a) => ({ payment_date: today(), received_amount: a })),
  });
  const npr = await createDeal(t, s, client.id, { deal_value: '5000.00', currency: 'NPR', payment_method: 'cash', payments: [{ payment_date: today(), received_amount: '1000.00' }] });
  const v = (id: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/verifier/verify/${id}/`, headers: auth(org.users.verifier.token), payload });
  const [p1, p2, , p4, p5] = usd.payments.map((p) => p.id);
  await v(p1!, { status: 'approved' });
  await v(p2!, { status: 'rejected', remarks: 'Bounced', failure_reason: 'cheque_bounce' });
  await v(p4!, { status: 'approved' });
  await v(p5!, { status: 'approved' });
  nprPayment = npr.payments[0]!.id;
  await v(nprPayment, { status: 'approved' });
  await t.app.inject({ method: 'POST', url: `/api/payments/${p4}/refund/`, headers: auth(org.users.verifier.token), payload: { reason: 'Order cancelled' } });
  await t.app.inject({ method: 'POST', url: `/api/payments/${p5}/bad-debt/`, headers: auth(org.users.verifier.token), payload: { reason: 'Unreachable' } });
  // Noise in another organisation.
  const oc = await createClient(t, other.users.sales.token);
  await createDeal(t, other.users.sales.token, oc.id, { payments: [{ payment_date: today(), received_amount: '999.00' }] });
});
afterAll(() => t.close());

describe('verifier dashboard', () => {
  it('totals: payments by status, revenue in the organisation currency, refunds', async () => {
    const body = (await get('/api/verifier/dashboard/', org.users.verifier.token)).json();
    expect(body).toMatchObject({
      total_payments: 6, total_successful_payments: 2, total_unsuccess_payments: 1, total_verification_pending_payments: 1,
      total_revenue: '500.00', total_refunds: 1, total_refunded_amount: '400.00', avg_transactional_value: '500.00', currency: 'USD',
    });
    expect(body.revenue_by_currency).toEqual(expect.arrayContaining([{ currency: 'NPR', amount: '1000.00', count: 1 }]));
    expect(body.chart_data.verification_trend.at(-1)).toMatchObject({ label: today(), total_amount: '500.00', count: 1 });
  });

  it('panels: invoice status, methods, failure reasons, distribution, queue, audit logs, refunds', async () => {
    const token = org.users.verifier.token;
    expect((await get('/api/verifier/dashboard/invoice-status/', token)).json()).toMatchObject({ paid_invoices: 2, pending_invoices: 1, rejected_invoices: 1, refunded_invoices: 1, bad_debt_invoices: 1 });
    expect((await get('/api/verifier/dashboard/payment-methods/', token)).json()).toMatchObject({ bank_transfer: 5, in_hand_cash: 1, cheque: 0 });
    expect((await get('/api/verifier/dashboard/payment-failure-reasons/', token)).json()).toMatchObject({ cheque_bounce: 1, bank_decline: 0 });
    const dist = (await get('/api/verifier/dashboard/payment-status-distribution/', token)).json();
    // Whole percent of the six invoices, half-up (the client reads JSON integers): 2/6 → 33, 1/6 → 17.
    expect(dist).toEqual({ processing_invoices: 0, paid_invoices: 33, pending_invoices: 17, rejected_invoices: 17, initiated_invoices: 0, refunded_invoices: 17, bad_debt_invoices: 17 });
    const queue = (await get('/api/verifier/dashboard/verification-queue/', token)).json();
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ client_name: 'Panel Client', payment_amount: '200.00', invoice_status: 'pending' });
    const audit = (await get('/api/verifier/dashboard/audit-logs/', token)).json();
    expect(audit.count).toBe(7);
    expect(audit.results.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['Verified', 'Rejected', 'Refunded', 'Bad debt']));
    expect(audit.results[0].details).toMatch(/^Invoice INV-\d{4}/);
    const refunds = (await get('/api/verifier/dashboard/recent-refunds-or-bad-debts/', token)).json();
    expect(refunds.map((r: { invoice_status: string }) => r.invoice_status).sort()).toEqual(['bad_debt', 'refunded']);
  });

  it('access: 401 without token, 403 for a salesperson, nothing from other organisations', async () => {
    expect((await get('/api/verifier/dashboard/')).statusCode).toBe(401);
    expect((await get('/api/verifier/dashboard/', org.users.sales.token)).statusCode).toBe(403);
    expect((await get('/api/verifier/dashboard/audit-logs/', org.users.sales.token)).statusCode).toBe(403);
    const foreign = (await get('/api/verifier/dashboard/', other.users.verifier.token)).json();
    expect(foreign).toMatchObject({ total_payments: 1, total_successful_payments: 0, total_revenue: '0.00' });
  });

  it('answers every verifier-dashboard contract entry with the fields the client reads', async () => {
    for (const id of ['verifier.dashboard', 'verifier.invoice-status', 'verifier.payment-methods', 'verifier.payment-failure-reasons', 'verifier.payment-status-distribution', 'verifier.verification-queue', 'verifier.audit-logs', 'verifier.refunds']) {
      const entry = contractEntry(id);
      const res = await t.app.inject(clientRequest(entry, { token: org.users.verifier.token }));
      expect(res.statusCode, id).toBe(200);
      expect(missingFields(entry, res.json()), id).toEqual([]);
    }
  });

  it('answers the sales dashboard contract entries', async () => {
    const calls: [string, Record<string, string>?][] = [['dashboard.main'], ['dashboard.payment-verification'], ['dashboard.chart', { period: 'daily' }], ['dashboard.commission', { period: 'monthly', include_details: 'true' }], ['dashboard.clients', { organization: org.id, limit: '10', status_filter: 'all' }], ['dashboard.standings', { type: 'individual', period: 'daily' }], ['dashboard.standings', { type: 'team', period: 'daily' }]];
    for (const [id, query] of calls) {
      const entry = contractEntry(id);
      const res = await t.app.inject(clientRequest(entry, { token: org.users.sales.token, ...(query ? { query } : {}) }));
      expect(res.statusCode, id).toBe(200);
      const variants = id === 'dashboard.standings' ? { variants: [query!.type!] } : undefined;
      // The client also accepts {clients: [...]} for the dashboard client list (contract notes).
      const body = id === 'dashboard.clients' ? res.json().clients : res.json();
      if (id === 'dashboard.clients') expect(body.length).toBeGreaterThan(0);
      expect(missingFields(entry, body, variants), id).toEqual([]);
    }
    const warmer = await t.app.inject(clientRequest(contractEntry('dashboard.main.warmer')));
    expect(warmer.statusCode).toBe(401);
    expect(warmer.body).toBe('');
    // The commission warmer's answer lands in an unused cache entry: a 401 is what it should get.
    expect((await t.app.inject(clientRequest(contractEntry('dashboard.commission.warmer')))).statusCode).toBe(401);
    // The org-admin overview is covered field by field in org-admin-dashboard.test.ts.
    expect((await t.app.inject(clientRequest(contractEntry('org-admin.dashboard'), { token: org.users.admin.token }))).statusCode).toBe(200);
  });
});

describe('verifier dashboard refunds', () => {
  it('counts and sums refunds in the organisation currency; other currencies are listed apart, never added', async () => {
    const refund = await t.app.inject({ method: 'POST', url: `/api/payments/${nprPayment}/refund/`, headers: auth(org.users.verifier.token), payload: { reason: 'Duplicate' } });
    expect(refund.statusCode).toBe(200);
    const body = (await get('/api/verifier/dashboard/', org.users.verifier.token)).json();
    expect(body).toMatchObject({ total_refunds: 1, total_refunded_amount: '400.00', currency: 'USD' });
    expect(body.refunds_by_currency).toEqual(expect.arrayContaining([{ currency: 'USD', amount: '400.00', count: 1 }, { currency: 'NPR', amount: '1000.00', count: 1 }]));
  });
});
