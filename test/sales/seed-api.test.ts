// The seeds' API as seed 000 documents it, tried as a new user would (issue 12, part 5): the
// seeds' field names, one clear message per invalid field, payment timestamps, a Super Admin
// naming the organisation on every tenant route, and duplicates as 409.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { PDF, createClient, createDeal, today } from '../support/sales.ts';
import { expectError, harness, hex, sid, wire, type Answer } from './helpers.ts';

let t: TestApp;
let h: ReturnType<typeof harness>;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let clientId: string;

beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  a = await createOrg(t, 'Seed Api A');
  b = await createOrg(t, 'Seed Api B');
  su = await createSuperAdmin(t);
  clientId = (await createClient(t, a.users.sales.token)).id;
});
afterAll(() => t.close());

const AMOUNT = 'Enter a non-negative amount with at most 2 decimal places.';

/** A 400 whose every invalid field carries exactly one message, compared as given. */
function expectMessages(res: Answer, fields: Record<string, string>) {
  const body = expectError(res, 400, 'validation_error');
  for (const [field, message] of Object.entries(fields)) expect(body[field], `${field} in ${res.body}`).toEqual([message]);
  return body;
}

function postMultipart(url: string, token: string, fields: Parameters<typeof multipartPayload>[0]) {
  const body = multipartPayload(fields);
  return t.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, ...auth(token) } });
}

describe('1. payments with the seed\'s field names', () => {
  it('records payment_amount and stores payment_receipt on POST /api/deals/{id}/payments/', async () => {
    const deal = await createDeal(t, a.users.sales.token, clientId, { deal_value: '5000.00' });
    const res = await postMultipart(`/api/deals/${deal.id}/payments/`, a.users.sales.token, {
      payment_amount: '2500.00',
      payment_method: 'bank',
      payment_date: today(),
      payment_receipt: { filename: 'receipt.pdf', contentType: 'application/pdf', data: PDF },
      payment_remarks: 'Partial payment received',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ received_amount: '2500.00', payment_method: 'bank', payment_remarks: 'Partial payment received', receipt_file: expect.any(String) });
    const [row] = await h.q<{ received_amount: string; receipt_key: string; receipt_name: string }>(
      sql`SELECT received_amount::text, receipt_key, receipt_name FROM payments WHERE id = ${res.json().id as string}`,
    );
    expect(row).toMatchObject({ received_amount: '2500.00', receipt_name: 'receipt.pdf' });
    expect(existsSync(`${t.config.dataDir}/media/${row!.receipt_key}`)).toBe(true);
  });

  it('takes payment_amount in JSON on POST /api/payments/ and names the fields as sent in errors', async () => {
    const deal = await createDeal(t, a.users.sales.token, clientId, { deal_value: '100.00' });
    const ok = await h.call('POST', '/api/payments/', a.users.sales.token, { deal_id: deal.id, payment_amount: 40, payment_date: today() });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().received_amount).toBe('40.00');
    expectMessages(await h.call('POST', `/api/deals/${deal.id}/payments/`, a.users.sales.token, { payment_amount: 'abc', payment_date: today() }), { payment_amount: AMOUNT });
    // A service check on the amount (beyond the deal value) names the alias too.
    const over = expectError(await h.call('POST', `/api/deals/${deal.id}/payments/`, a.users.sales.token, { payment_amount: '999', payment_date: today() }), 400);
    expect(Object.keys(over)).toContain('payment_amount');
    expect(over).not.toHaveProperty('received_amount');
    const both = { payment_amount: '1', received_amount: '1', payment_date: today() };
    expectMessages(await h.call('POST', `/api/deals/${deal.id}/payments/`, a.users.sales.token, both), { payment_amount: 'Send either received_amount or payment_amount, not both.' });
    const badFile = await postMultipart(`/api/deals/${deal.id}/payments/`, a.users.sales.token, {
      payment_amount: '1', payment_date: today(), payment_receipt: { filename: 'r.exe', contentType: 'application/octet-stream', data: Buffer.from('MZ..') },
    });
    expect(expectError(badFile, 400).payment_receipt).toEqual([expect.any(String)]);
    // The web client's route keeps its own names only.
    const web = await h.call('POST', '/api/deals/payments/', a.users.sales.token, { deal_id: deal.deal_id, payment_amount: '1', payment_date: today() });
    expect(web.statusCode).toBe(400);
    expect(web.json()).toEqual({ received_amount: ['This field is required.'] });
  });
});

describe('2. teams with the seed\'s field names', () => {
  it('creates a team from team_name, team_lead and description on POST /api/team/', async () => {
    const name = `Sales Team Alpha ${hex()}`;
    const res = await h.call('POST', '/api/team/', a.users.admin.token, { team_name: name, team_lead: a.users.supervisor.id, description: 'Primary sales team' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name, description: 'Primary sales team', team_lead: { id: wire(a.users.supervisor.id) } });
    const [row] = await h.q<{ name: string; team_lead_id: string }>(sql`SELECT name, team_lead_id FROM teams WHERE id = ${res.json().id as number}`);
    expect(row).toEqual({ name, team_lead_id: sid(a.users.supervisor.id) });
    // A lead from another organisation is refused under the name that was sent.
    const foreign = await h.call('POST', '/api/team/', a.users.admin.token, { team_name: `Other ${hex()}`, team_lead: b.users.supervisor.id });
    expect(expectError(foreign, 400).team_lead).toEqual([expect.any(String)]);
    expectMessages(await h.call('POST', '/api/team/', a.users.admin.token, { description: 'no name' }), { name: 'This field is required.' });
  });
});

describe('3. one message per problem, always naming the field', () => {
  it('says "This field is required." for every missing field, unions included', async () => {
    expectMessages(await h.call('POST', '/api/payments/', a.users.sales.token, {}), {
      deal_id: 'This field is required.', received_amount: 'This field is required.', payment_date: 'This field is required.',
    });
    expectMessages(await h.call('POST', '/api/deals/', a.users.sales.token, { client_id: clientId, payment_method: 'bank' }), { deal_value: 'This field is required.' });
  });

  it('names page in a 400 for ?page=abc, without Zod\'s wording', async () => {
    const body = expectMessages(await h.call('GET', '/api/deals/?page=abc', a.users.sales.token), { page: 'A valid integer is required.' });
    expect(body.detail).toBe('page: A valid integer is required.');
    expectMessages(await h.call('GET', '/api/payments/?limit=ten', a.users.sales.token), { limit: 'A valid integer is required.' });
  });

  it('names the date field of an impossible date', async () => {
    const deal = { client_id: clientId, deal_value: '10', payment_method: 'bank', deal_date: '2026-02-31' };
    expectMessages(await h.call('POST', '/api/deals/', a.users.sales.token, deal), { deal_date: 'Enter a real calendar date.' });
    expectMessages(await h.call('GET', '/api/deals/?date_from=2026-02-31', a.users.sales.token), { date_from: 'Enter a real calendar date.' });
    expectMessages(await h.call('GET', '/api/audit/logs/?date_to=2024-13-45', a.users.admin.token), { date_to: 'Enter a real calendar date.' });
  });

  it('gives a string-or-number field one clear message', async () => {
    const deal = { client_id: clientId, payment_method: 'bank' };
    expectMessages(await h.call('POST', '/api/deals/', a.users.sales.token, { ...deal, deal_value: 'abc' }), { deal_value: AMOUNT });
    expectMessages(await h.call('POST', '/api/deals/', a.users.sales.token, { ...deal, deal_value: true }), { deal_value: AMOUNT });
    expectMessages(await h.call('POST', '/api/payments/', a.users.sales.token, { deal_id: true, received_amount: '1', payment_date: today() }), { deal_id: 'Expected text or a number.' });
    expectMessages(await h.call('POST', '/api/deals/', a.users.sales.token, { ...deal, deal_value: '5', payment_method: 'card' }), { payment_method: '"card" is not a valid choice.' });
  });
});

describe('4. payment timestamps', () => {
  it('creates payments with updated_at equal to created_at, and never earlier after a change', async () => {
    const deal = await createDeal(t, a.users.sales.token, clientId, {
      deal_value: '300', payments: [{ payment_date: today(), received_amount: '100' }, { payment_date: today(), received_amount: '100' }],
    });
    const single = await h.call('POST', `/api/deals/${deal.id}/payments/`, a.users.sales.token, { received_amount: '50', payment_date: today() });
    expect(single.statusCode, single.body).toBe(201);
    expect(single.json().updated_at).toBe(single.json().created_at);
    const ids = [...deal.payments.map((p) => p.id), single.json().id as string];
    const stamps = await h.q<{ same: boolean }>(sql`SELECT updated_at = created_at AS same FROM payments WHERE id = ANY(${sql.param(ids)})`);
    expect(stamps).toEqual(ids.map(() => ({ same: true })));
    const decided = await h.call('POST', `/api/verifier/verify/${single.json().id as string}/`, a.users.verifier.token, { status: 'approved', verified_amount: '50', remarks: 'ok' });
    expect(decided.statusCode, decided.body).toBe(200);
    const [after] = await h.q<{ ok: boolean }>(sql`SELECT updated_at >= created_at AS ok FROM payments WHERE id = ${single.json().id as string}`);
    expect(after!.ok).toBe(true);
  });
});

describe('5. a Super Admin names the organisation on every tenant route', () => {
  const accessRows = (requestId: string) =>
    h.q<{ organization_id: string; actor_id: string; entity_id: string; new_values: Record<string, unknown> }>(
      sql`SELECT organization_id, actor_id, entity_id, new_values FROM audit_log WHERE entity = 'organization' AND action = 'access' AND request_id = ${requestId}`,
    );

  it('reads deals and the org-admin dashboard with ?organization= or X-Organization-Id, audited', async () => {
    const deal = await createDeal(t, a.users.sales.token, clientId);
    const ways: [string, Record<string, string>][] = [
      [`?organization=${a.id}`, {}],
      ['', { 'x-organization-id': a.id }],
    ];
    for (const [query, headers] of ways) {
      for (const path of ['/api/deals/', '/api/org_admin/dashboard/']) {
        const res = await t.app.inject({ method: 'GET', url: `${path}${query}`, headers: { ...auth(su.token), ...headers } });
        expect(res.statusCode, `${path}${query} ${JSON.stringify(headers)}: ${res.body}`).toBe(200);
        if (path === '/api/deals/') expect(res.json().results.map((d: { id: number }) => d.id)).toContain(wire(deal.id));
        else expect(res.json().overview.total_users).toBe(6);
        const rows = await accessRows(res.headers['x-request-id'] as string);
        expect(rows).toEqual([{ organization_id: a.id, actor_id: sid(su.id), entity_id: a.id, new_values: { method: 'GET', path, named_by: 'request' } }]);
      }
    }
  });

  it('keeps the existing answers without a name, and refuses an unknown or contradictory one', async () => {
    const none = expectError(await h.call('GET', '/api/deals/', su.token), 404, 'not_found');
    expect(none.detail).toBe('No organisation selected.');
    expectError(await h.call('GET', '/api/org_admin/dashboard/', su.token), 404, 'not_found');
    expect((await h.call('GET', '/api/clients/', su.token)).json().count).toBe(0);
    const unknown = expectError(await h.call('GET', '/api/deals/?organization=999999999', su.token), 404, 'not_found');
    expect(unknown.detail).toBe('Organisation not found.');
    // Routes that pass the named organisation on themselves (roles, audit log): 409 before (the
    // access audit row referred to no organisation; found by the fuzzer).
    for (const path of ['/api/permissions/roles/', '/api/audit/logs/']) {
      for (const org of ['999999999', '2147483648']) {
        expect(expectError(await h.call('GET', `${path}?organization=${org}`, su.token), 404, 'not_found').detail, `${path} ${org}`).toBe('Organisation not found.');
      }
    }
    const clash = await t.app.inject({ method: 'GET', url: `/api/deals/?organization=${a.id}`, headers: { ...auth(su.token), 'x-organization-id': b.id } });
    expect(expectError(clash as Answer, 400).organization).toEqual([expect.any(String)]);
    // A member may name only one of their own organisations (issue 14): another one is a 404, and no access is recorded.
    const member = await t.app.inject({ method: 'GET', url: '/api/deals/', headers: { ...auth(b.users.admin.token), 'x-organization-id': a.id } });
    expect(expectError(member as Answer, 404, 'not_found').detail).toBe('Organisation not found.');
    expect(await accessRows(member.headers['x-request-id'] as string)).toEqual([]);
    const own = await t.app.inject({ method: 'GET', url: '/api/deals/', headers: { ...auth(b.users.admin.token), 'x-organization-id': b.id } });
    expect(own.statusCode).toBe(200);
  });
});

describe('6. duplicates are 409 conflicts naming the field', () => {
  it('answers a duplicate client e-mail with 409 duplicate and the email field', async () => {
    const email = `dup-${hex()}@example.test`;
    await createClient(t, a.users.sales.token, { email });
    const res = await h.call('POST', '/api/clients/', a.users.sales.token, { client_name: 'Again', email: email.toUpperCase() });
    const body = expectError(res, 409, 'duplicate');
    expect(body.email).toEqual(['A client with this email already exists in this organisation.']);
    expect(body.message).toBe('A client with this email already exists in this organisation.');
    const [n] = await h.q<{ n: number }>(sql`SELECT count(*)::int AS n FROM clients WHERE organization_id = ${a.id} AND lower(email) = ${email}`);
    expect(n!.n).toBe(1);
  });

  it('keeps the bare 400 field map for a duplicate cheque on the web client\'s payment route', async () => {
    const deal = await createDeal(t, a.users.sales.token, clientId, { deal_value: '100' });
    const cheque = `CHQ${hex()}`;
    const first = { deal_id: deal.deal_id, received_amount: '1', payment_date: today(), cheque_number: cheque };
    expect((await h.call('POST', '/api/payments/', a.users.sales.token, first)).statusCode).toBe(201);
    const seed = await h.call('POST', '/api/payments/', a.users.sales.token, first);
    expect(expectError(seed, 409, 'duplicate').cheque_number).toEqual([expect.any(String)]);
    const web = await h.call('POST', '/api/deals/payments/', a.users.sales.token, first);
    expect(web.statusCode).toBe(400);
    expect(web.json()).toEqual({ cheque_number: [expect.stringMatching(/already been used/)] });
  });
});
