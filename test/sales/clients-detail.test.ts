// One client through HTTP: detail with recent activity, figures derived from its deals,
// PUT/PATCH as the web client sends them, soft delete (refused while deals exist), the
// activity feed, 404s for other organisations and malformed ids, and a status nobody writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { createDeal, today } from '../support/sales.ts';
import { expectDuplicate, expectError, expectFieldErrors, expectWireId, FOREIGN_SHAPED_ID, harness, hex, MALFORMED_IDS, sid, wire } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  a = await createOrg(t, 'Client Detail Alpha');
  b = await createOrg(t, 'Client Detail Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Client = Record<string, unknown> & { id: number; client_name: string; email: string };

async function createClient(who: TestUser, body: Record<string, unknown> = {}): Promise<Client> {
  const res = await h.call('POST', '/api/clients/', who.token, { client_name: `Client ${hex()}`, email: `c-${hex()}@example.test`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Client;
}

const clientRow = async (id: string | number) =>
  (await h.q<{ client_name: string; email: string; status: string; satisfaction: string | null; remarks: string; nationality: string; updated_by: string | null; deleted_at: unknown }>(
    sql`SELECT client_name, email, status, satisfaction, remarks, nationality, updated_by, deleted_at FROM clients WHERE id = ${id}`,
  ))[0];

let dealNo = 0;
async function insertDeal(org: TestOrg, clientId: string | number, d: { value: string; currency?: string; due?: string | null; status?: string; deleted?: boolean }) {
  dealNo++;
  await h.q(sql`INSERT INTO deals (organization_id, deal_code, client_id, deal_value, currency, deal_date, due_date, payment_status, payment_method, created_by, deleted_at)
    VALUES (${org.id}, ${`TST${String(dealNo).padStart(4, '0')}`}, ${clientId}, ${d.value}, ${d.currency ?? 'USD'}, '2026-01-01', ${d.due ?? null},
      ${d.status ?? 'initial payment'}, 'bank', ${org.users.admin.id}, ${d.deleted ? sql`now()` : null})`);
}

describe('GET /api/clients/{id}/', () => {
  it('answers the detail the org-admin page reads, with the last 10 activities', async () => {
    const c = await createClient(a.users.admin, { nationality: 'Nepalese', address: 'Kathmandu' });
    for (let i = 0; i < 11; i++) {
      expect((await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { remarks: `note ${i}` })).statusCode).toBe(200);
    }
    const entry = contractEntry('clients.get');
    const res = await t.app.inject(clientRequest(entry, { token: a.users.admin.token, params: { id: String(c.id) } }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(missingFields(entry, body)).toEqual([]);
    expect(body).toMatchObject({ id: c.id, address: 'Kathmandu', remarks: 'note 10', updated_by: wire(a.users.admin.id), organization: wire(a.id) });
    for (const field of ['id', 'organization', 'updated_by']) expectWireId(body[field], field);
    expectWireId(body.created_by.id, 'created_by.id');
    expect(body.activities).toHaveLength(10);
    expect(body.activities[0]).toMatchObject({ action: 'updated', description: 'Client updated: remarks.', message: 'Client updated: remarks.', user: 'Test User' });
    expect(new Date(body.activities[0].timestamp).toISOString()).toBe(body.activities[0].timestamp);
    expect(Object.keys(body).sort()).toEqual([
      'activities', 'address', 'client_name', 'client_type', 'company_name', 'contact_person', 'created_at', 'created_by', 'created_by_name',
      'currency', 'deal_value', 'due_date', 'email', 'id', 'name', 'nationality', 'organization', 'payment_status', 'phone_number',
      'primary_contact', 'remarks', 'satisfaction', 'status', 'tax_id', 'total_deals', 'total_value', 'totals_by_currency', 'updated_at',
      'updated_by', 'website',
    ]);
  });

  it('derives deal figures from live deals only, per currency', async () => {
    const c = await createClient(a.users.admin);
    await insertDeal(a, c.id, { value: '1000.50', due: '2026-03-01', status: 'partial_payment' });
    await insertDeal(a, c.id, { value: '2000.00', due: '2026-02-01', status: 'full_payment' });
    await insertDeal(a, c.id, { value: '999.00', due: '2026-01-15', deleted: true });
    let body = (await h.call('GET', `/api/clients/${c.id}/`, a.users.admin.token)).json();
    expect(body).toMatchObject({
      total_deals: 2, total_value: '3000.50', deal_value: '3000.50', currency: 'USD', payment_status: 'partial_payment', due_date: '2026-03-01',
      totals_by_currency: [{ currency: 'USD', total_value: '3000.50', total_deals: 2 }],
    });
    await insertDeal(a, c.id, { value: '500.00', currency: 'EUR', status: 'full_payment' });
    body = (await h.call('GET', `/api/clients/?search=${encodeURIComponent(c.email)}`, a.users.admin.token)).json().results![0]!;
    // Amounts in different currencies are never added together.
    expect(body).toMatchObject({
      total_deals: 3, total_value: null, currency: null,
      totals_by_currency: [{ currency: 'EUR', total_value: '500.00', total_deals: 1 }, { currency: 'USD', total_value: '3000.50', total_deals: 2 }],
    });
    const paid = await createClient(a.users.admin);
    await insertDeal(a, paid.id, { value: '10.00', due: '2026-05-01', status: 'full_payment' });
    expect((await h.call('GET', `/api/clients/${paid.id}/`, a.users.admin.token)).json()).toMatchObject({ payment_status: 'full_payment', due_date: null });
  });

  it('answers 404 for another organisation, unknown and malformed ids (including the client bug "undefined")', async () => {
    const foreign = await createClient(b.users.admin, { client_name: 'Foreign Co' });
    for (const id of [foreign.id, FOREIGN_SHAPED_ID, ...MALFORMED_IDS]) {
      expectError(await h.call('GET', `/api/clients/${id}/`, a.users.admin.token), 404, 'not_found');
      expectError(await h.call('PUT', `/api/clients/${id}/`, a.users.admin.token, { client_name: 'Stolen', email: 'stolen@example.test' }), 404);
      expectError(await h.call('PATCH', `/api/clients/${id}/`, a.users.admin.token, { client_name: 'Stolen' }), 404);
      expectError(await h.call('DELETE', `/api/clients/${id}/`, a.users.admin.token), 404);
      expectError(await h.call('GET', `/api/clients/${id}/activity/`, a.users.admin.token), 404);
    }
    const res = await t.app.inject({ method: 'GET', url: '/api/clients/undefined/?', headers: { authorization: `Token ${a.users.sales.token}`, 'content-type': 'application/json' } });
    expectError(res, 404);
    expect(await clientRow(foreign.id)).toMatchObject({ client_name: 'Foreign Co', deleted_at: null });
    // A Super Admin reaches the record in its own organisation.
    expect((await h.call('GET', `/api/clients/${foreign.id}/`, su.token)).json().organization).toBe(wire(b.id));
  });
});

describe('PUT/PATCH /api/clients/{id}/', () => {
  it('updates as the web client sends it (PUT without id or status), with audit and activity', async () => {
    const c = await createClient(a.users.sales, { satisfaction: 'neutral' });
    const entry = contractEntry('clients.update');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.sales.token,
        params: { id: String(c.id) },
        body: { client_name: 'Renamed Client', email: c.email, nationality: 'Indian', phone_number: '+9779811111111', remarks: 'Call later' },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ client_name: 'Renamed Client', nationality: 'Indian', remarks: 'Call later', status: 'pending', satisfaction: 'neutral' });
    expect(await clientRow(c.id)).toMatchObject({ client_name: 'Renamed Client', status: 'pending', satisfaction: 'neutral', updated_by: sid(a.users.sales.id) });
    const audit = await auditRows(t, 'client', sid(c.id));
    expect(audit.map((r) => r.action)).toEqual(['create', 'update']);
    expect(audit[1]!.old_values).toMatchObject({ client_name: c.client_name, remarks: '' });
    expect(audit[1]!.new_values).toMatchObject({ client_name: 'Renamed Client', remarks: 'Call later', phone_number: '+9779811111111' });
    expect(audit[1]!.new_values).not.toHaveProperty('email');
    const activities = await h.q<{ action: string; description: string }>(sql`SELECT action, description FROM activity_logs WHERE client_id = ${c.id} AND action = 'updated'`);
    expect(activities).toHaveLength(1);
    expect(activities[0]!.description).toContain('client_name');
  });

  it('patches single fields, clears satisfaction with null or empty, and writes nothing when nothing changes', async () => {
    const c = await createClient(a.users.admin, { satisfaction: 'unsatisfied' });
    expect((await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { satisfaction: '' })).json().satisfaction).toBeNull();
    expect((await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { satisfaction: 'satisfied', status: 'bad_debt' })).json()).toMatchObject({ satisfaction: 'satisfied', status: 'pending' });
    expect((await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { satisfaction: null })).json().satisfaction).toBeNull();
    const before = (await auditRows(t, 'client', sid(c.id))).length;
    expect((await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { client_name: c.client_name })).statusCode).toBe(200);
    expect(await auditRows(t, 'client', sid(c.id))).toHaveLength(before);
  });

  it('answers 400 with field errors, and keeps e-mails unique', async () => {
    const c = await createClient(a.users.admin);
    const other = await createClient(a.users.admin);
    const token = a.users.admin.token;
    expectFieldErrors(await h.call('PUT', `/api/clients/${c.id}/`, token, { remarks: 'no name' }), 'client_name', 'email');
    expectDuplicate(await h.call('PATCH', `/api/clients/${c.id}/`, token, { email: other.email }), 'email');
    expectFieldErrors(await h.call('PATCH', `/api/clients/${c.id}/`, token, { status: 'settled', phone_number: 'abc' }), 'status', 'phone_number');
    expectFieldErrors(await h.call('PATCH', `/api/clients/${c.id}/`, token, { client_name: '' }), 'client_name');
    expect(await clientRow(c.id)).toMatchObject({ client_name: c.client_name, email: c.email });
    // Its own address, in another case, is not a duplicate.
    expect((await h.call('PATCH', `/api/clients/${c.id}/`, token, { email: c.email.toUpperCase() })).statusCode).toBe(200);
  });
});

describe('DELETE /api/clients/{id}/', () => {
  it('soft-deletes a client without deals, with audit and activity rows', async () => {
    const c = await createClient(a.users.sales);
    const res = await h.call('DELETE', `/api/clients/${c.id}/`, a.users.sales.token);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await clientRow(c.id))?.deleted_at).not.toBeNull();
    expectError(await h.call('GET', `/api/clients/${c.id}/`, a.users.admin.token), 404);
    expectError(await h.call('DELETE', `/api/clients/${c.id}/`, a.users.admin.token), 404);
    const listed = (await h.call('GET', `/api/clients/?search=${encodeURIComponent(c.email)}`, a.users.admin.token)).json();
    expect(listed.count).toBe(0);
    const audit = await auditRows(t, 'client', sid(c.id));
    expect(audit.map((r) => r.action)).toEqual(['create', 'delete']);
    expect(audit[1]).toMatchObject({ actor_id: sid(a.users.sales.id), old_values: expect.objectContaining({ email: c.email }) });
    expect(await h.q(sql`SELECT 1 FROM activity_logs WHERE client_id = ${c.id} AND action = 'deleted'`)).toHaveLength(1);
  });

  it('refuses with 409 while the client has live deals', async () => {
    const c = await createClient(a.users.admin);
    await insertDeal(a, c.id, { value: '100.00' });
    const res = await h.call('DELETE', `/api/clients/${c.id}/`, a.users.admin.token);
    expectError(res, 409, 'client_has_deals');
    expect((await clientRow(c.id))?.deleted_at).toBeNull();
    expect((await auditRows(t, 'client', sid(c.id))).map((r) => r.action)).toEqual(['create']);
    // Deleted deals do not block.
    await h.q(sql`UPDATE deals SET deleted_at = now() WHERE client_id = ${c.id}`);
    expect((await h.call('DELETE', `/api/clients/${c.id}/`, a.users.admin.token)).statusCode).toBe(204);
  });
});

describe('GET /api/clients/{id}/activity/', () => {
  it('pages through the whole feed, newest first', async () => {
    const c = await createClient(a.users.admin);
    await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { remarks: 'one' });
    await h.call('PATCH', `/api/clients/${c.id}/`, a.users.supervisor.token, { remarks: 'two' }).then((r) => expect(r.statusCode).toBe(403));
    await h.call('PATCH', `/api/clients/${c.id}/`, a.users.admin.token, { nationality: 'Bhutanese' });
    const res = await h.call('GET', `/api/clients/${c.id}/activity/?page_size=2`, a.users.verifier.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.count).toBe(3);
    expect(body.next).toEqual(expect.stringContaining('page=2'));
    expect(body.results!.map((x) => x.action)).toEqual(['updated', 'updated']);
    expect(body.results![0]!.description).toBe('Client updated: nationality.');
    const last = (await h.call('GET', `/api/clients/${c.id}/activity/?page_size=2&page=2`, a.users.admin.token)).json();
    expect(last.results!.map((x) => x.action)).toEqual(['created']);
  });
});

// A client's payment status follows its money (product.md §6): nobody writes it, not even an
// Org Admin. The web client's edit form sends `status` back, so it is accepted and ignored
// (issue 13, defect 6: a salesperson could turn a bad debt "clear").
describe('client status is derived, never written', () => {
  it('a bad debt stays a bad debt whatever the salesperson or the admin sends', async () => {
    const client = await createClient(a.users.sales);
    const deal = await createDeal(t, a.users.sales.token, String(client.id), { deal_value: '1000.00', payments: [{ payment_date: today(), received_amount: '400.00' }] });
    const paymentId = deal.payments[0]!.id;
    expect((await h.call('POST', `/api/verifier/verify/${paymentId}/`, a.users.verifier.token, { status: 'approved' })).statusCode).toBe(200);
    expect((await h.call('POST', `/api/payments/${paymentId}/bad-debt/`, a.users.verifier.token, { reason: 'Client vanished' })).statusCode).toBe(200);
    expect((await clientRow(client.id))!.status).toBe('bad_debt');

    const patch = await h.call('PATCH', `/api/clients/${client.id}/`, a.users.sales.token, { status: 'clear', remarks: 'paid, honest' });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(patch.json()).toMatchObject({ status: 'bad_debt', remarks: 'paid, honest' });
    const put = await h.call('PUT', `/api/clients/${client.id}/`, a.users.admin.token, { client_name: client.client_name, email: client.email, status: 'clear' });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().status).toBe('bad_debt');
    expect(await clientRow(client.id)).toMatchObject({ status: 'bad_debt', remarks: 'paid, honest' });
  });

  it('a new client starts pending whatever status it is created with', async () => {
    const client = await createClient(a.users.admin, { status: 'clear' });
    expect((await clientRow(client.id))!.status).toBe('pending');
  });
});
