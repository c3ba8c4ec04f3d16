// Verification edge cases: concurrent decisions, requests for information, refunds and bad debt,
// the queue, invoices (list shapes, PDF, cancellation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';
import { wire } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let secondVerifier: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Verify Org');
  const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Verifier') });
  secondVerifier = await login(t, u.email);
});
afterAll(() => t.close());

async function pendingPayment(amount = '1000.00') {
  const client = await createClient(t, org.users.sales.token);
  const deal = await createDeal(t, org.users.sales.token, client.id, { deal_value: '1000.00', payments: [{ payment_date: today(), received_amount: amount }] });
  return { deal, client, paymentId: deal.payments[0]!.id };
}
const verify = (paymentId: string, token: string, payload: object) =>
  t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, headers: auth(token), payload });

describe('decisions', () => {
  it('two verifiers deciding one payment at once: one decision, one 409', async () => {
    const { paymentId } = await pendingPayment();
    const [a, b] = await Promise.all([
      verify(paymentId, org.users.verifier.token, { status: 'approved' }),
      verify(paymentId, secondVerifier.token, { status: 'rejected', remarks: 'no' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const approvals = await t.db.system((tx) => rows(tx, sql`SELECT 1 FROM payment_approvals WHERE payment_id = ${paymentId}`));
    expect(approvals).toHaveLength(1);
  });

  it('requires_info keeps the payment pending with a request; approving later works', async () => {
    const { paymentId } = await pendingPayment();
    const info = await verify(paymentId, org.users.verifier.token, { status: 'requires_info', remarks: 'Send the bank slip' });
    expect(info.json().payment).toMatchObject({ status: 'pending', info_requested: true, verification_remarks: 'Send the bank slip' });
    const queue = await t.app.inject({ method: 'GET', url: '/api/verifier/queue/?status=requires_info', headers: auth(org.users.verifier.token) });
    expect((queue.json().results as { id: number }[]).map((r) => r.id)).toContain(wire(paymentId));
    const ok = await verify(paymentId, org.users.verifier.token, { status: 'approved', verified_amount: '900.00' });
    expect(ok.json().payment).toMatchObject({ status: 'verified', verified_amount: '900.00', info_requested: false });
  });

  it('a verified amount above the received amount is refused; unknown decisions are 400', async () => {
    const { paymentId } = await pendingPayment('500.00');
    const over = await verify(paymentId, org.users.verifier.token, { status: 'approved', verified_amount: '600.00' });
    expect(over.statusCode).toBe(400);
    expect(over.json().verified_amount).toBeDefined();
    expect((await verify(paymentId, org.users.verifier.token, { status: 'maybe' })).statusCode).toBe(400);
    expect((await verify(paymentId, org.users.sales.token, { status: 'approved' })).statusCode).toBe(403);
    expect((await verify(paymentId, org.users.member.token, { status: 'approved' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, payload: { status: 'approved' } })).statusCode).toBe(401);
  });

  it('refund and bad debt reverse the deal money and mark the client', async () => {
    const { paymentId, deal, client } = await pendingPayment();
    await verify(paymentId, org.users.verifier.token, { status: 'approved' });
    const early = await t.app.inject({ method: 'POST', url: `/api/payments/${paymentId}/bad-debt/`, headers: auth(org.users.sales.token), payload: { reason: 'x' } });
    expect(early.statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: `/api/payments/${paymentId}/bad-debt/`, headers: auth(org.users.verifier.token), payload: { reason: 'Cheque bounced twice' } });
    expect(bad.statusCode).toBe(200);
    expect(bad.json()).toMatchObject({ status: 'bad_debt', invoice: { status: 'bad_debt' } });
    const dealAfter = await t.app.inject({ method: 'GET', url: `/api/deals/${deal.id}/`, headers: auth(org.users.verifier.token) });
    expect(dealAfter.json()).toMatchObject({ total_paid: '0.00' });
    const [c] = await t.db.system((tx) => rows<{ status: string }>(tx, sql`SELECT status FROM clients WHERE id = ${client.id}`));
    expect(c?.status).toBe('bad_debt');
    const twice = await t.app.inject({ method: 'POST', url: `/api/payments/${paymentId}/refund/`, headers: auth(org.users.verifier.token), payload: { reason: 'x' } });
    expect(twice.statusCode).toBe(409);
  });
});

describe('queue and invoices', () => {
  it('the queue lists pending payments oldest-first with priority, filtered', async () => {
    const { paymentId } = await pendingPayment();
    await t.db.system((tx) => tx.execute(sql`UPDATE payments SET created_at = now() - interval '4 days' WHERE id = ${paymentId}`));
    const high = await t.app.inject({ method: 'GET', url: '/api/verifier/queue/?priority=high', headers: auth(org.users.verifier.token) });
    expect(high.statusCode).toBe(200);
    const item = (high.json().results as { id: number; priority: string; waiting_hours: number }[]).find((r) => r.id === wire(paymentId));
    expect(item).toMatchObject({ priority: 'high' });
    expect(item!.waiting_hours).toBeGreaterThanOrEqual(96);
    expect((await t.app.inject({ method: 'GET', url: '/api/verifier/queue/', headers: auth(org.users.sales.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/verifier/queue/?priority=urgent', headers: auth(org.users.verifier.token) })).statusCode).toBe(400);
  });

  it('invoices: paginated and plain lists, detail, PDF, cancellation only while pending', async () => {
    const { paymentId } = await pendingPayment();
    const list = await t.app.inject({ method: 'GET', url: '/api/deals/invoices/?status=pending', headers: auth(org.users.verifier.token) });
    const invoice = (list.json().results as { id: number; payment_id: number; invoice_id: string }[]).find((i) => i.payment_id === wire(paymentId))!;
    expect(invoice.invoice_id).toMatch(/^INV-\d{4,}$/);
    const pdf = await t.app.inject({ method: 'GET', url: `/api/invoices/${invoice.id}/pdf/`, headers: auth(org.users.verifier.token) });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const cancel = await t.app.inject({ method: 'DELETE', url: `/api/verifier/invoice/${invoice.invoice_id}/`, headers: auth(org.users.verifier.token) });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json().invoice.status).toBe('cancelled');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/verifier/invoice/${invoice.id}/`, headers: auth(org.users.verifier.token) })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/verifier/invoice/${invoice.id}/`, headers: auth(org.users.sales.token) })).statusCode).toBe(403);
    const other = await createOrg(t, 'Invoice Outsider');
    expect((await t.app.inject({ method: 'GET', url: `/api/verifier/invoice/${invoice.id}/`, headers: auth(other.users.verifier.token) })).statusCode).toBe(404);
    const plain = await t.app.inject({ method: 'GET', url: '/api/verifier/invoices/', headers: auth(org.users.verifier.token) });
    expect(Array.isArray(plain.json())).toBe(true);
  });
});
