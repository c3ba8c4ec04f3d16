// Seed 000's workflow end to end: salesperson → client → deal → payment with receipt →
// verifier verifies (or rejects) → payment, invoice, deal and client follow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { PDF, createClient, createDeal, today } from '../support/sales.ts';
import { expectWireId, wire } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Workflow Org');
});
afterAll(() => t.close());

async function addPayment(dealRef: string, amount: string, cheque?: string) {
  const body = multipartPayload({
    deal_id: dealRef,
    payment_date: today(),
    received_amount: amount,
    ...(cheque ? { cheque_number: cheque } : {}),
    payment_category: 'partial',
    payment_type: 'cheque',
    payment_remarks: 'first instalment',
    receipt_file: { filename: 'receipt.pdf', contentType: 'application/pdf', data: PDF },
  });
  const res = await t.app.inject({ method: 'POST', url: '/api/deals/payments/', payload: body.payload, headers: { ...body.headers, ...auth(org.users.sales.token) } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; transaction_id: string; status: string; receipt_file: string; invoice: { id: string; invoice_id: string; status: string } };
}

describe('payment verification workflow', () => {
  it('verifying a payment updates payment, invoice, deal and client', async () => {
    const client = await createClient(t, org.users.sales.token);
    const deal = await createDeal(t, org.users.sales.token, client.id, { deal_value: '5000.00' });
    expect(deal.deal_id).toMatch(/^DLID\d{4,}$/);
    const payment = await addPayment(deal.deal_id, '2000.00', 'CHQ-100001');
    expect(payment).toMatchObject({ status: 'pending', transaction_id: expect.stringMatching(/^TXN-\d{4,}$/) });
    expect(payment.invoice).toMatchObject({ invoice_id: expect.stringMatching(/^INV-\d{4,}$/), status: 'pending' });
    const receipt = await t.app.inject({ method: 'GET', url: new URL(payment.receipt_file).pathname + new URL(payment.receipt_file).search });
    expect(receipt.statusCode).toBe(200);
    expect(receipt.rawPayload.equals(PDF)).toBe(true);

    // The salesperson cannot verify their own payment; the verifier can.
    const self = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${payment.id}/`, headers: auth(org.users.sales.token), payload: { status: 'approved' } });
    expect(self.statusCode).toBe(403);
    const verified = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${payment.id}/`, headers: auth(org.users.verifier.token), payload: { status: 'approved', verified_amount: '2000.00', remarks: 'Cheque cleared' } });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json().payment).toMatchObject({ status: 'verified', verified_amount: '2000.00', verified_by: { id: wire(org.users.verifier.id) } });
    expect(verified.json().payment.verified_at).toEqual(expect.any(String));
    expect(verified.json().payment.invoice.status).toBe('paid');

    const after = await t.app.inject({ method: 'GET', url: `/api/deals/${deal.deal_id}/`, headers: auth(org.users.sales.token) });
    expect(after.json()).toMatchObject({ verification_status: 'verified', payment_status: 'partial_payment', total_paid: '2000.00', remaining_balance: '3000.00' });
    const [clientRow] = await t.db.system((tx) => rows<{ status: string }>(tx, sql`SELECT status FROM clients WHERE id = ${client.id}`));
    expect(clientRow?.status).toBe('pending');

    // The rest of the money clears the client; a form field carries the deal's integer id as text.
    const second = await addPayment(String(deal.id), '3000.00');
    await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${second.id}/`, headers: auth(org.users.verifier.token), payload: { status: 'approved' } });
    const full = await t.app.inject({ method: 'GET', url: `/api/deals/deals/${deal.deal_id}/`, headers: auth(org.users.sales.token) });
    expect(full.json()).toMatchObject({ payment_status: 'full_payment', pay_status: 'full_payment', total_paid: '5000.00' });
    const [cleared] = await t.db.system((tx) => rows<{ status: string }>(tx, sql`SELECT status FROM clients WHERE id = ${client.id}`));
    expect(cleared?.status).toBe('clear');

    // The decision is recorded and audited, and a second decision is a conflict.
    const approvals = await t.db.system((tx) => rows<{ decision: string }>(tx, sql`SELECT decision FROM payment_approvals WHERE payment_id = ${payment.id}`));
    expect(approvals).toEqual([{ decision: 'approved' }]);
    const again = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${payment.id}/`, headers: auth(org.users.verifier.token), payload: { status: 'rejected', remarks: 'x' } });
    expect(again.statusCode).toBe(409);
  });

  it('rejecting needs remarks and leaves the deal unverified', async () => {
    const client = await createClient(t, org.users.sales.token);
    const deal = await createDeal(t, org.users.sales.token, client.id);
    const payment = await addPayment(deal.deal_id, '1000.00');
    const noRemarks = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${payment.id}/`, headers: auth(org.users.verifier.token), payload: { status: 'rejected' } });
    expect(noRemarks.statusCode).toBe(400);
    expect(noRemarks.json().remarks).toBeDefined();
    const rejected = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${payment.id}/`, headers: auth(org.users.verifier.token), payload: { status: 'rejected', remarks: 'Receipt unreadable' } });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json().payment).toMatchObject({ status: 'rejected', verified_amount: null });
    expect(rejected.json().payment.invoice.status).toBe('rejected');
    const dealAfter = await t.app.inject({ method: 'GET', url: `/api/deals/${deal.id}/`, headers: auth(org.users.sales.token) });
    expect(dealAfter.json()).toMatchObject({ verification_status: 'rejected', payment_status: 'initial payment', total_paid: '0.00' });
  });

  it('the web client sequence: multipart deal with a nested payment, expand, verifier form', async () => {
    const client = await createClient(t, org.users.sales.token);
    const form = multipartPayload({
      client_id: String(client.id),
      deal_name: 'Mobile app',
      payment_status: 'partial_payment',
      source_type: 'linkedin',
      deal_value: '8000',
      deal_date: today(),
      due_date: today(),
      deal_remarks: 'phase one',
      currency: 'NPR',
      payment_method: 'cheque',
      'payments[0][payment_date]': today(),
      'payments[0][received_amount]': '2500',
      'payments[0][cheque_number]': 'CHQ-778899',
      'payments[0][payment_remarks]': 'advance',
      'payments[0][receipt_file]': { filename: 'scan.pdf', contentType: 'application/pdf', data: PDF },
    });
    const created = await t.app.inject({ method: 'POST', url: '/api/deals/deals/', payload: form.payload, headers: { ...form.headers, ...auth(org.users.sales.token) } });
    expect(created.statusCode, created.body).toBe(201);
    const deal = created.json();
    expect(deal).toMatchObject({ deal_value: '8000.00', currency: 'NPR', client: { client_name: client.client_name }, payments_read: [{ received_amount: '2500.00', cheque_number: 'CHQ-778899', status: 'pending' }] });

    const expand = await t.app.inject({ method: 'GET', url: `/api/deals/deals/${deal.deal_id}/expand/`, headers: auth(org.users.verifier.token) });
    expect(expand.statusCode).toBe(200);
    expect(expand.json().payment_history[0]).toMatchObject({ payment_serial: 1, payment_value: '2500.00', verification_status: 'pending', deal: { currency: 'NPR' } });

    const paymentId = deal.payments_read[0].id;
    expectWireId(paymentId, 'payments_read[].id');
    const formGet = await t.app.inject({ method: 'GET', url: `/api/verifier/verifier-form/${paymentId}/`, headers: auth(org.users.verifier.token) });
    expect(formGet.json()).toMatchObject({ payment: { id: paymentId, cheque_number: 'CHQ-778899' }, deal: { deal_id: deal.deal_id, client: { client_name: client.client_name } } });
    const decision = multipartPayload({ approval_status: 'approved', approval_remarks: 'ok', verified_amount: '2500', invoice_file: { filename: 'inv.pdf', contentType: 'application/pdf', data: PDF } });
    const submitted = await t.app.inject({ method: 'POST', url: `/api/verifier/verifier-form/${paymentId}/`, payload: decision.payload, headers: { ...decision.headers, ...auth(org.users.verifier.token) } });
    expect(submitted.statusCode, submitted.body).toBe(200);
    expect(submitted.json()).toMatchObject({ success: true, status: 'verified' });
    const invoices = await t.app.inject({ method: 'GET', url: '/api/verifier/invoices/', headers: auth(org.users.verifier.token) });
    const invoice = (invoices.json() as { payment_id: number; status: string; invoice_file: string | null }[]).find((i) => i.payment_id === paymentId);
    expect(invoice).toMatchObject({ status: 'verified' });
    expect(invoice?.invoice_file).toMatch(/\/media\/private\/invoices\//);
  });
});
