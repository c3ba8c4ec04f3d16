// A deal is edited only when someone edits it: payments and verification decisions move the
// derived money and status fields, never `version` (the optimistic lock) nor `edit_status`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';
import { harness, wire, type Answer } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let h: ReturnType<typeof harness>;
let clientId: string;
beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  org = await createOrg(t, 'Deal Version Org');
  clientId = (await createClient(t, org.users.sales.token)).id;
});
afterAll(() => t.close());

const ok = (res: Answer, status = 200) => {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
};
const edit = (method: 'PUT' | 'PATCH', url: string, payload: object, ifMatch?: string) =>
  t.app.inject({ method, url, payload, headers: { ...auth(org.users.sales.token), ...(ifMatch ? { 'if-match': ifMatch } : {}) } });
const decide = async (paymentId: string, payload: object) => ok(await h.call('POST', `/api/verifier/verify/${paymentId}/`, org.users.verifier.token, payload));
const writeOff = async (paymentId: string, kind: 'refund' | 'bad-debt') =>
  ok(await h.call('POST', `/api/payments/${paymentId}/${kind}/`, org.users.verifier.token, { reason: 'Customer asked' }));
const addPayment = async (dealId: string, amount: string) =>
  (ok(await h.call('POST', `/api/deals/${dealId}/payments/`, org.users.sales.token, { payment_date: today(), received_amount: amount }), 201) as { id: string }).id;

async function stored(dealId: string) {
  const [row] = await h.q<{ version: number; payment_status: string; verification_status: string }>(
    sql`SELECT version, payment_status, verification_status FROM deals WHERE id = ${dealId}`,
  );
  return row!;
}

/** The deal as every read shows it: both detail routes and the web client's list. */
async function seen(deal: { id: string; deal_id: string }) {
  const token = org.users.sales.token;
  const seeds = ok(await h.call('GET', `/api/deals/${deal.id}/`, token));
  const web = ok(await h.call('GET', `/api/deals/deals/${deal.deal_id}/`, token));
  const list = ok(await h.call('GET', `/api/deals/deals/?search=${deal.deal_id}`, token));
  const listed = list.results?.find((r) => r.id === wire(deal.id));
  expect(listed, `${deal.deal_id} in the web list`).toBeDefined();
  for (const view of [web, listed!]) {
    expect(view).toMatchObject({ version: seeds.version, edit_status: seeds.edit_status, verification_status: seeds.verification_status });
  }
  const db = await stored(deal.id);
  expect(db.version).toBe(seeds.version);
  return seeds as { version: number; edit_status: string; payment_status: string; verification_status: string };
}

describe('verification is not an edit', () => {
  it('approving the payment keeps version 1 and "original"; the next user edit makes it 2 and "edited"', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId, { deal_value: '1000.00', payments: [{ payment_date: today(), received_amount: '1000.00' }] });
    const read = await seen(deal);
    expect(read).toMatchObject({ version: 1, edit_status: 'original', verification_status: 'pending' });

    await decide(deal.payments[0]!.id, { status: 'approved' });
    // The derived fields did move; the version did not.
    expect(await seen(deal)).toMatchObject({ version: 1, edit_status: 'original', verification_status: 'verified', payment_status: 'full_payment' });

    // An edit carrying the version read before the verification still goes through, once.
    const edited = ok(await edit('PATCH', `/api/deals/${deal.deal_id}/`, { deal_remarks: 'Signed copy received' }, String(read.version)));
    expect(edited).toMatchObject({ version: 2, edit_status: 'edited', deal_remarks: 'Signed copy received' });
    expect(await seen(deal)).toMatchObject({ version: 2, edit_status: 'edited', verification_status: 'verified' });

    // A genuinely stale edit (header or body version) still loses.
    expect((await edit('PATCH', `/api/deals/${deal.deal_id}/`, { deal_remarks: 'lost' }, '1')).statusCode).toBe(412);
    expect((await edit('PUT', `/api/deals/deals/${deal.deal_id}/`, { deal_remarks: 'lost', version: 1 })).statusCode).toBe(412);
    expect((await stored(deal.id)).version).toBe(2);
  });

  it('recording, rejecting, asking for information, refunding and writing off leave the version alone', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId, { deal_value: '3000.00' });
    const read = await seen(deal);
    expect(read.version).toBe(1);
    const unchanged = async (status: Partial<{ payment_status: string; verification_status: string }>) => {
      expect(await seen(deal)).toMatchObject({ version: 1, edit_status: 'original', ...status });
    };

    const rejected = await addPayment(deal.id, '1000.00');
    await decide(rejected, { status: 'rejected', remarks: 'Unreadable receipt' });
    await unchanged({ verification_status: 'rejected' });
    const asked = await addPayment(deal.id, '1000.00');
    await unchanged({ verification_status: 'pending' });
    await decide(asked, { status: 'requires_info', remarks: 'Send the bank slip' });
    await decide(asked, { status: 'approved' });
    await unchanged({ verification_status: 'verified', payment_status: 'partial_payment' });
    await writeOff(asked, 'refund');
    await unchanged({ verification_status: 'pending', payment_status: 'initial payment' });
    const bad = await addPayment(deal.id, '1000.00');
    await decide(bad, { status: 'approved' });
    await writeOff(bad, 'bad-debt');
    await unchanged({});

    const edited = ok(await edit('PUT', `/api/deals/deals/${deal.deal_id}/`, { deal_name: 'Renamed after the verifier', version: 'edited' }, `W/"${read.version}"`));
    expect(edited).toMatchObject({ version: 2, edit_status: 'edited' });
  });

  it('approving the deal itself (route or PATCH of its status) is a decision, not an edit', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId, { deal_value: '500.00' });
    ok(await h.call('POST', `/api/deals/${deal.id}/approve/`, org.users.verifier.token));
    expect(await seen(deal)).toMatchObject({ version: 1, edit_status: 'original', verification_status: 'verified' });
    ok(await h.call('PATCH', `/api/deals/${deal.id}/`, org.users.admin.token, { verification_status: 'pending' }));
    expect(await seen(deal)).toMatchObject({ version: 1, edit_status: 'original', verification_status: 'pending' });
  });

  it('an edit that moves the derived figures counts once', async () => {
    const deal = await createDeal(t, org.users.sales.token, clientId, { deal_value: '2000.00', payments: [{ payment_date: today(), received_amount: '1000.00' }] });
    await decide(deal.payments[0]!.id, { status: 'approved' });
    expect(await seen(deal)).toMatchObject({ version: 1, payment_status: 'partial_payment' });
    const edited = ok(await edit('PATCH', `/api/deals/${deal.deal_id}/`, { deal_value: '1000.00' }, '1'));
    expect(edited).toMatchObject({ version: 2, edit_status: 'edited', payment_status: 'full_payment' });
  });
});
