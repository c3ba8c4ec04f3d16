// Sales, as the PRS web client calls it: every clients.*, deals.*, payments.create, teams.*,
// projects.list and verifier form / invoice contract entry sent exactly the way the client sends
// it (stray '?', 'Token' header, JSON content-type on apiClient calls, FormData bodies with
// bracket keys, deal code vs id), checked for a 2xx answer that carries every field the client
// reads, for 401 without a token, and for 404 on another organisation's ids.
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, PDF, PNG, today } from '../support/sales.ts';
import { clientRequest, clientView, contractEntry, missingFields, multipartPayload, type ClientRequestOptions } from './contract.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Letters only: client and team names are "letters and spaces" in the client's forms. */
const letters = (n = 6): string => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** Cheque numbers are 6–20 characters and unique per organisation. */
const chequeNo = (): string => String(randomInt(10_000_000, 99_999_999));
const inDays = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ABSOLUTE = /^https?:\/\//;

interface DealRef {
  id: string;
  deal_id: string;
  payments: { id: string }[];
}

interface Answer {
  status: number;
  body: unknown;
  text: string;
  contentType: string;
}

let t: TestApp;

/** Sends contract entry `id` the way the client does and parses the answer. */
async function send(id: string, opts: ClientRequestOptions = {}): Promise<Answer> {
  const res = await t.app.inject(clientRequest(contractEntry(id), opts));
  let body: unknown;
  if (res.body !== '') {
    try {
      body = JSON.parse(res.body);
    } catch {
      body = res.body;
    }
  }
  return { status: res.statusCode, body, text: res.body, contentType: String(res.headers['content-type'] ?? '') };
}

function expect2xx(id: string, a: Answer): void {
  expect(a.status >= 200 && a.status < 300, `${id} answered ${a.status}: ${a.text.slice(0, 600)}`).toBe(true);
}

/** Every field the client reads is there (soft, so later checks of the same test still report). */
function expectContract(id: string, body: unknown): void {
  expect.soft(missingFields(contractEntry(id), body), `${id}: fields_read missing from ${JSON.stringify(body)?.slice(0, 600)}`).toEqual([]);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Record<string, unknown> {
  expect(isRecord(v), `expected a JSON object, got ${JSON.stringify(v)?.slice(0, 300)}`).toBe(true);
  return v as Record<string, unknown>;
}

/** The list the client works with after its unwrapping; asserts it is a non-empty array. */
function nonEmptyList(id: string, body: unknown): Record<string, unknown>[] {
  let view = clientView(contractEntry(id), body);
  // paginated-or-array: a DRF page is read through its results.
  if (isRecord(view) && Array.isArray(view.results)) view = view.results;
  expect(Array.isArray(view), `${id}: expected a list, got ${JSON.stringify(body)?.slice(0, 300)}`).toBe(true);
  const list = view as unknown[];
  expect(list.length, `${id}: the list must not be empty for this check`).toBeGreaterThan(0);
  return list.filter(isRecord);
}

/** A signed media link, loaded the way a browser tab opens it (no Authorization header). */
async function fetchLink(link: string) {
  const url = new URL(link);
  return t.app.inject({ method: 'GET', url: url.pathname + url.search });
}

// ---------------------------------------------------------------------------------------------
// Request bodies as the client's forms build them

/** The salesperson "Add client" form. */
const clientBody = () => ({
  client_name: `Himal Traders ${cap(letters())}`,
  email: `himal.${letters()}@example.test`,
  nationality: 'Nepalese',
  remarks: '',
  phone_number: '+9779812345678',
});

/** The salesperson "Edit client" form (status and satisfaction set). */
const clientUpdateBody = () => ({
  client_name: `Everest Imports ${cap(letters())}`,
  email: `everest.${letters()}@example.test`,
  nationality: 'Indian',
  phone_number: '+9779801234567',
  status: 'pending',
  satisfaction: 'satisfied',
  remarks: 'Prefers cheque payments',
});

/** The deal form (create): flat deal fields plus nested bracket keys for the first payment. */
function dealForm(clientId: string, dealName = `Website Redesign ${cap(letters())}`) {
  return multipartPayload({
    client_id: String(clientId),
    deal_name: dealName,
    payment_status: 'partial_payment',
    source_type: 'referral',
    deal_value: '5000.00',
    deal_date: today(),
    due_date: inDays(30),
    deal_remarks: 'Signed after the second meeting',
    currency: 'USD',
    payment_method: 'cheque',
    'payments[0][payment_date]': today(),
    'payments[0][received_amount]': '1500.00',
    'payments[0][cheque_number]': chequeNo(),
    'payments[0][payment_remarks]': 'First instalment',
    'payments[0][receipt_file]': { filename: 'receipt.pdf', contentType: 'application/pdf', data: PDF },
  });
}

/** The deal form (edit): deal fields only, plus version=edited. */
function dealUpdateForm(clientId: string, dealName = `Website Redesign Phase Two ${cap(letters())}`) {
  return multipartPayload({
    client_id: String(clientId),
    deal_name: dealName,
    payment_status: 'partial_payment',
    source_type: 'google',
    deal_value: '6000.00',
    deal_date: today(),
    due_date: inDays(45),
    deal_remarks: 'Scope extended to the mobile site',
    currency: 'USD',
    payment_method: 'cheque',
    version: 'edited',
  });
}

/** The "Add payment" modal: all eight parts, payment_type always cheque. */
function paymentForm(dealRef: string, overrides: { payment_date?: string; received_amount?: string } = {}) {
  return multipartPayload({
    deal_id: String(dealRef),
    payment_date: overrides.payment_date ?? today(),
    received_amount: overrides.received_amount ?? '500.00',
    cheque_number: chequeNo(),
    payment_category: 'partial',
    payment_type: 'cheque',
    payment_remarks: 'Second instalment',
    receipt_file: { filename: 'cheque.png', contentType: 'image/png', data: PNG },
  });
}

/** The verification modal, approving with an invoice file. */
const approveForm = (amount = '1000.00') =>
  multipartPayload({
    approval_status: 'approved',
    approval_remarks: 'Cheque cleared at the bank',
    verified_amount: amount,
    invoice_file: { filename: 'invoice.pdf', contentType: 'application/pdf', data: PDF },
  });

/** The verification modal, rejecting (failure_remarks, no file). */
const rejectForm = () =>
  multipartPayload({
    approval_status: 'rejected',
    approval_remarks: 'Cheque bounced',
    verified_amount: '0',
    failure_remarks: 'Insufficient funds',
  });

// ---------------------------------------------------------------------------------------------
// Fixtures

let org: TestOrg;
let other: TestOrg;
/** A client of the salesperson with one deal (code and id) that has one pending payment. */
let client: { id: string; client_name: string };
let deal: DealRef;
let team: { id: string; name: string };
let invoiceCode: string;
/** Ids of the other organisation, never visible here. */
let foreign: { clientId: string; dealId: string; paymentId: string; teamId: string; invoiceId: string; dealName: string; teamName: string };

async function makeDeal(o: TestOrg, clientId: string, overrides: Record<string, unknown> = {}): Promise<DealRef> {
  return createDeal(t, o.users.sales.token, clientId, {
    due_date: inDays(30),
    payments: [{ payment_date: today(), received_amount: '1000.00', cheque_number: chequeNo(), payment_remarks: 'Advance' }],
    ...overrides,
  });
}

async function makeTeam(o: TestOrg, name = `Team ${cap(letters())}`): Promise<{ id: string; name: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/team/teams/',
    headers: auth(o.users.admin.token),
    payload: { name, team_lead_id: o.users.supervisor.id, member_ids: [o.users.member.id] },
  });
  if (res.statusCode !== 201) throw new Error(`team create failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; name: string };
}

const invoiceOf = async (paymentId: string) =>
  (await t.db.system((tx) => rows<{ id: string; invoice_code: string; status: string }>(tx, sql`SELECT id, invoice_code, status FROM invoices WHERE payment_id = ${paymentId}`)))[0];

/** A fresh pending payment recorded by the salesperson (so the verifier may decide it). */
async function pendingPayment(o: TestOrg = org): Promise<{ deal: DealRef; paymentId: string }> {
  const c = await createClient(t, o.users.sales.token, { client_name: `Kathmandu Supplies ${cap(letters())}` });
  const d = await makeDeal(o, c.id);
  return { deal: d, paymentId: d.payments[0]!.id };
}

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, `Contract Sales ${letters(4)}`);
  other = await createOrg(t, `Contract Elsewhere ${letters(4)}`);

  client = await createClient(t, org.users.sales.token, { client_name: `Acme Traders ${cap(letters())}` });
  deal = await makeDeal(org, client.id);
  team = await makeTeam(org);
  const invoice = await invoiceOf(deal.payments[0]!.id);
  if (!invoice) throw new Error('the fixture payment has no invoice');
  invoiceCode = invoice.invoice_code;

  const otherClient = await createClient(t, other.users.sales.token, { client_name: `Foreign Client ${cap(letters())}` });
  const otherDeal = await makeDeal(other, otherClient.id);
  const otherTeam = await makeTeam(other);
  const otherInvoice = await invoiceOf(otherDeal.payments[0]!.id);
  if (!otherInvoice) throw new Error('the foreign payment has no invoice');
  const otherDealName = obj((await t.app.inject({ method: 'GET', url: `/api/deals/${otherDeal.id}/`, headers: auth(other.users.sales.token) })).json()).deal_name as string;
  foreign = {
    clientId: otherClient.id,
    dealId: otherDeal.id,
    paymentId: otherDeal.payments[0]!.id,
    teamId: otherTeam.id,
    invoiceId: otherInvoice.id,
    dealName: otherDealName,
    teamName: otherTeam.name,
  };
});
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------
// clients.*

describe('clients.*', () => {
  it('clients.list (organization=<id>): the salesperson client page', async () => {
    const opts = { token: org.users.sales.token, query: { organization: org.id } };
    expect(clientRequest(contractEntry('clients.list'), opts).url).toBe(`/api/clients/?organization=${org.id}`);
    const a = await send('clients.list', opts);
    expect2xx('clients.list', a);
    const list = nonEmptyList('clients.list', a.body);
    expect(list.map((c) => c.id)).toContain(Number(client.id));
    expectContract('clients.list', a.body);
  });

  it('clients.list (page=1&limit=10&search=): the org admin manage-clients page', async () => {
    const opts = { token: org.users.admin.token, query: { page: '1', limit: '10', search: '' } };
    expect(clientRequest(contractEntry('clients.list'), opts).url).toBe('/api/clients/?page=1&limit=10&search=');
    const a = await send('clients.list', opts);
    expect2xx('clients.list', a);
    const list = nonEmptyList('clients.list', a.body);
    expect(list.map((c) => c.id)).toContain(Number(client.id));
    expectContract('clients.list', a.body);
  });

  it('clients.list (no params, bare "?"): the deal form client picker', async () => {
    const opts = { token: org.users.sales.token };
    expect(clientRequest(contractEntry('clients.list'), opts).url).toBe('/api/clients/?');
    const a = await send('clients.list', opts);
    expect2xx('clients.list', a);
    const list = nonEmptyList('clients.list', a.body);
    expect(list.map((c) => c.client_name)).toContain(client.client_name);
    expectContract('clients.list', a.body);
  });

  it('clients.create: the salesperson Add client form', async () => {
    const body = clientBody();
    const a = await send('clients.create', { token: org.users.sales.token, body });
    expect2xx('clients.create', a);
    const created = obj(a.body);
    expect(['string', 'number']).toContain(typeof created.id);
    expectContract('clients.create', a.body);
    const list = nonEmptyList('clients.list', (await send('clients.list', { token: org.users.sales.token, query: { organization: org.id } })).body);
    expect(list.find((c) => String(c.id) === String(created.id))).toMatchObject({ client_name: body.client_name, email: body.email, nationality: 'Nepalese' });
  });

  it('clients.get: the salesperson client deals page', async () => {
    const a = await send('clients.get', { token: org.users.sales.token, params: { id: client.id } });
    expect2xx('clients.get', a);
    const body = obj(a.body);
    expect(body.client_name ?? body.name).toBe(client.client_name);
    expectContract('clients.get', a.body);
  });

  it('clients.get: the org admin client detail page (activities of the client)', async () => {
    const a = await send('clients.get', { token: org.users.admin.token, params: { id: client.id } });
    expect2xx('clients.get', a);
    const body = obj(a.body);
    expect(body.id).toBe(Number(client.id));
    expect(Array.isArray(body.activities), 'activities').toBe(true);
    expectContract('clients.get', a.body);
  });

  it('clients.get: the unlinked deal page requests /api/clients/undefined/ and gets 404', async () => {
    const opts = { token: org.users.sales.token, params: { id: 'undefined' } };
    expect(clientRequest(contractEntry('clients.get'), opts).url).toBe('/api/clients/undefined/?');
    const a = await send('clients.get', opts);
    expect(a.status, a.text.slice(0, 300)).toBe(404);
  });

  it('clients.update: the salesperson Edit client form (PUT with status and satisfaction)', async () => {
    const c = await createClient(t, org.users.sales.token, { client_name: `Pokhara Tours ${cap(letters())}` });
    const body = clientUpdateBody();
    const a = await send('clients.update', { token: org.users.sales.token, params: { id: c.id }, body });
    expect2xx('clients.update', a);
    expect(isRecord(a.body) && Object.keys(a.body).length > 0, `clients.update: a non-empty object, got ${a.text.slice(0, 300)}`).toBe(true);
    expectContract('clients.update', a.body);
    const after = await send('clients.get', { token: org.users.sales.token, params: { id: c.id } });
    expect2xx('clients.get', after);
    expect(obj(after.body)).toMatchObject({ email: body.email, nationality: 'Indian', phone_number: '+9779801234567', status: 'pending', satisfaction: 'satisfied', remarks: body.remarks });
    expect(obj(after.body).client_name ?? obj(after.body).name).toBe(body.client_name);
  });

  it('clients.delete: the salesperson deletes a client without deals', async () => {
    const c = await createClient(t, org.users.sales.token, { client_name: `Lalitpur Crafts ${cap(letters())}` });
    const a = await send('clients.delete', { token: org.users.sales.token, params: { id: c.id } });
    expect2xx('clients.delete', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('clients.delete', a.body);
    expect((await send('clients.get', { token: org.users.sales.token, params: { id: c.id } })).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------
// deals.*

describe('deals.*', () => {
  const TABLE_QUERY = { search: '', ordering: '-created_at' };

  for (const [role, label] of [
    ['sales', '/salesperson/deal'],
    ['admin', '/org-admin/deals'],
    ['verifier', '/verifier/deals'],
  ] as const) {
    it(`deals.list (search=&ordering=-created_at): the ${label} table`, async () => {
      const opts = { token: org.users[role].token, query: TABLE_QUERY };
      expect(clientRequest(contractEntry('deals.list'), opts).url).toBe('/api/deals/deals/?search=&ordering=-created_at');
      const a = await send('deals.list', opts);
      expect2xx('deals.list', a);
      const list = nonEmptyList('deals.list', a.body);
      const row = list.find((d) => d.deal_id === deal.deal_id);
      expect(row, `deal ${deal.deal_id} in the ${label} table`).toBeDefined();
      expect(isRecord(row!.client), 'client must be an object').toBe(true);
      expect((row!.payments_read as unknown[]).length, 'payments_read').toBeGreaterThan(0);
      expectContract('deals.list', a.body);
    });
  }

  it('deals.list: remaining_balance, version and verified_amount are JSON numbers (the seeds\' list keeps decimal strings)', async () => {
    const d = await makeDeal(org, client.id);
    const paymentId = d.payments[0]!.id;
    const verified = await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, headers: auth(org.users.verifier.token), payload: { status: 'approved', verified_amount: '765.44' } });
    expect(verified.statusCode, verified.body).toBe(200);
    const a = await send('deals.list', { token: org.users.sales.token, query: TABLE_QUERY });
    expect2xx('deals.list', a);
    const row = nonEmptyList('deals.list', a.body).find((r) => r.deal_id === d.deal_id)!;
    // 5000.00 − 765.44: the salesperson's Add-payment modal calls remaining_balance?.toFixed(2).
    expect(row.remaining_balance).toBe(4234.56);
    expect((row.remaining_balance as number).toFixed(2)).toBe('4234.56');
    expect(typeof row.version).toBe('number');
    const [payment] = row.payments_read as Record<string, unknown>[];
    expect(payment!.verified_amount).toBe(765.44);
    expect((row.payments as Record<string, unknown>[])[0]!.verified_amount).toBe(765.44);
    // A pending payment has no verified amount: null, not '0.00' (the tooltip falls back to received_amount).
    const pending = nonEmptyList('deals.list', a.body).find((r) => r.deal_id === deal.deal_id)!;
    expect((pending.payments_read as Record<string, unknown>[])[0]!.verified_amount).toBeNull();
    expect(typeof pending.remaining_balance).toBe('number');
    expectContract('deals.list', a.body);
    // The same deal on the web client's other deal routes, and on the seeds' routes as strings.
    for (const url of [`/api/deals/deals/${d.id}/`, `/api/deals/deals/${d.deal_id}/expand/`]) {
      const one = obj((await t.app.inject({ method: 'GET', url, headers: auth(org.users.sales.token) })).json());
      expect(one.remaining_balance, url).toBe(4234.56);
      expect((one.payments_read as Record<string, unknown>[])[0]!.verified_amount, url).toBe(765.44);
    }
    const seeds = obj((await t.app.inject({ method: 'GET', url: '/api/deals/?page_size=1000', headers: auth(org.users.sales.token) })).json());
    const seedRow = (seeds.results as Record<string, unknown>[]).find((r) => r.deal_id === d.deal_id)!;
    expect(seedRow.remaining_balance).toBe('4234.56');
    expect((seedRow.payments_read as Record<string, unknown>[])[0]!.verified_amount).toBe('765.44');
    const seedOne = obj((await t.app.inject({ method: 'GET', url: `/api/deals/${d.id}/`, headers: auth(org.users.sales.token) })).json());
    expect(seedOne).toMatchObject({ remaining_balance: '4234.56', total_paid: '765.44' });
    expect((seedOne.payments as Record<string, unknown>[])[0]!.verified_amount).toBe('765.44');
  });

  it('deals.list (client=<id>): the salesperson client deals page', async () => {
    const a = await send('deals.list', { token: org.users.sales.token, query: { client: client.id } });
    expect2xx('deals.list', a);
    const list = nonEmptyList('deals.list', a.body);
    expect(list.map((d) => d.deal_id)).toContain(deal.deal_id);
    expect(list.every((d) => isRecord(d.client) && d.client.id === Number(client.id)), 'only this client\'s deals').toBe(true);
    expectContract('deals.list', a.body);
  });

  it('deals.list (no params, bare "?"): the team form "Assigned project" picker', async () => {
    const opts = { token: org.users.admin.token };
    expect(clientRequest(contractEntry('deals.list'), opts).url).toBe('/api/deals/deals/?');
    const a = await send('deals.list', opts);
    expect2xx('deals.list', a);
    const list = nonEmptyList('deals.list', a.body);
    expect(list.map((d) => d.id)).toContain(Number(deal.id));
    expectContract('deals.list', a.body);
  });

  it('deals.create: the deal form (multipart, payments[0][…] bracket keys, PDF receipt)', async () => {
    const name = `Mobile App ${cap(letters())}`;
    const a = await send('deals.create', { token: org.users.sales.token, body: dealForm(client.id, name) });
    expect2xx('deals.create', a);
    expectContract('deals.create', a.body);
    // The client refetches the list; the new deal is there with its first payment.
    const list = nonEmptyList('deals.list', (await send('deals.list', { token: org.users.sales.token, query: TABLE_QUERY })).body);
    const row = list.find((d) => d.deal_name === name);
    expect(row, `the new deal "${name}" in the salesperson table`).toBeDefined();
    expect(row).toMatchObject({ deal_value: expect.anything(), currency: 'USD', payment_method: 'cheque', source_type: 'referral', deal_date: today(), due_date: inDays(30) });
    expect(row!.pay_status ?? row!.payment_status).toBe('partial_payment');
    const payments = row!.payments_read as Record<string, unknown>[];
    expect(payments).toHaveLength(1);
    expect(Number(payments[0]!.received_amount)).toBe(1500);
    // The receipt is stored and reachable from the expand panel as an absolute link.
    const expand = await send('deals.expand', { token: org.users.sales.token, params: { deal_id: String(row!.deal_id) } });
    expect2xx('deals.expand', expand);
    const history = obj(expand.body).payment_history as Record<string, unknown>[];
    const link = history[0]?.receipt_link;
    expect(typeof link === 'string' && ABSOLUTE.test(link), `receipt_link must be an absolute URL: ${String(link)}`).toBe(true);
    const file = await fetchLink(link as string);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(PDF)).toBe(true);
  });

  it('deals.get by deal code: the salesperson edit page', async () => {
    const a = await send('deals.get', { token: org.users.sales.token, params: { deal_id: deal.deal_id } });
    expect2xx('deals.get', a);
    const body = obj(a.body);
    expect(body.deal_id).toBe(deal.deal_id);
    expect.soft(String(body.deal_date), 'deal_date fills a date input').toMatch(DATE);
    expect.soft(String(body.due_date), 'due_date fills a date input').toMatch(DATE);
    const payments = (body.payments ?? body.payments_read) as Record<string, unknown>[];
    expect(payments.length).toBeGreaterThan(0);
    expect.soft(String(payments[0]!.payment_date), 'payment_date fills a date input').toMatch(DATE);
    expectContract('deals.get', a.body);
  });

  it('deals.get by id: the org admin deal modal (deal_id || id fallback)', async () => {
    const a = await send('deals.get', { token: org.users.admin.token, params: { deal_id: deal.id } });
    expect2xx('deals.get', a);
    expect(obj(a.body).deal_id).toBe(deal.deal_id);
    expectContract('deals.get', a.body);
  });

  const expectEdited = async (ref: string, name: string) => {
    const after = await send('deals.get', { token: org.users.admin.token, params: { deal_id: ref } });
    expect2xx('deals.get', after);
    const body = obj(after.body);
    expect(body).toMatchObject({ deal_name: name, source_type: 'google', payment_method: 'cheque', due_date: inDays(45) });
    expect(Number(body.deal_value)).toBe(6000);
    // The first payment is untouched ("absent means unchanged").
    expect(((body.payments ?? body.payments_read) as unknown[]).length).toBe(1);
    const v = body.version;
    expect(typeof v === 'number' ? v > 1 : v === 'edited', `version shows "Edited": ${String(v)}`).toBe(true);
  };

  it('deals.update by deal code: the salesperson edit page (multipart, version=edited)', async () => {
    const d = await makeDeal(org, client.id);
    const name = `Website Redesign Phase Two ${cap(letters())}`;
    const a = await send('deals.update', { token: org.users.sales.token, params: { deal_id: d.deal_id }, body: dealUpdateForm(client.id, name) });
    expect2xx('deals.update', a);
    expectContract('deals.update', a.body);
    await expectEdited(d.deal_id, name);
  });

  it('deals.update by id: the org admin deal modal (deal_id || id fallback)', async () => {
    const d = await makeDeal(org, client.id);
    const name = `Brand Refresh ${cap(letters())}`;
    const a = await send('deals.update', { token: org.users.admin.token, params: { deal_id: d.id }, body: dealUpdateForm(client.id, name) });
    expect2xx('deals.update', a);
    expectContract('deals.update', a.body);
    await expectEdited(d.id, name);
  });

  it('deals.delete by id: the org admin deals table', async () => {
    const d = await createDeal(t, org.users.sales.token, client.id);
    const a = await send('deals.delete', { token: org.users.admin.token, params: { id: d.id } });
    expect2xx('deals.delete', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('deals.delete', a.body);
    expect((await send('deals.get', { token: org.users.admin.token, params: { deal_id: d.id } })).status).toBe(404);
  });

  it('deals.expand by deal code: the salesperson row expansion', async () => {
    const a = await send('deals.expand', { token: org.users.sales.token, params: { deal_id: deal.deal_id } });
    expect2xx('deals.expand', a);
    const history = obj(a.body).payment_history;
    expect(Array.isArray(history) && history.length > 0, 'payment_history must not be empty').toBe(true);
    expectContract('deals.expand', a.body);
  });

  it('deals.expand by id: the verifier (and org admin) row expansion (deal_id || id)', async () => {
    for (const role of ['verifier', 'admin'] as const) {
      const a = await send('deals.expand', { token: org.users[role].token, params: { deal_id: deal.id } });
      expect2xx('deals.expand', a);
      const history = obj(a.body).payment_history;
      expect(Array.isArray(history) && history.length > 0, 'payment_history must not be empty').toBe(true);
      expectContract('deals.expand', a.body);
    }
  });

  it('deals.log-activity by deal code: the salesperson edit page', async () => {
    const a = await send('deals.log-activity', { token: org.users.sales.token, params: { deal_id: deal.deal_id } });
    expect2xx('deals.log-activity', a);
    nonEmptyList('deals.log-activity', a.body);
    expectContract('deals.log-activity', a.body);
  });

  it('deals.log-activity by id: the org admin deal modal (deal_id || id)', async () => {
    const a = await send('deals.log-activity', { token: org.users.admin.token, params: { deal_id: deal.id } });
    expect2xx('deals.log-activity', a);
    nonEmptyList('deals.log-activity', a.body);
    expectContract('deals.log-activity', a.body);
  });
});

// ---------------------------------------------------------------------------------------------
// payments.create

describe('payments.create', () => {
  const paymentsOf = async (ref: string) => {
    const a = await send('deals.get', { token: org.users.admin.token, params: { deal_id: ref } });
    expect2xx('deals.get', a);
    return (obj(a.body).payments ?? obj(a.body).payments_read) as Record<string, unknown>[];
  };

  it('payments.create with the deal code: the salesperson Add payment modal (all eight parts)', async () => {
    const d = await makeDeal(org, client.id);
    const a = await send('payments.create', { token: org.users.sales.token, body: paymentForm(d.deal_id) });
    expect2xx('payments.create', a);
    expect(a.text).not.toContain('"error"');
    expectContract('payments.create', a.body);
    const payments = await paymentsOf(d.deal_id);
    expect(payments).toHaveLength(2);
    const added = payments.find((p) => Number(p.received_amount) === 500);
    expect(added, 'the new payment on the deal').toBeDefined();
    expect(added).toMatchObject({ payment_date: today(), payment_remarks: 'Second instalment' });
    // The verifier form opens the receipt from an absolute link.
    const form = await send('verifier.form.get', { token: org.users.verifier.token, params: { payment_id: String(added!.id) } });
    expect2xx('verifier.form.get', form);
    const receipt = obj(obj(form.body).payment).receipt_file;
    expect(typeof receipt === 'string' && ABSOLUTE.test(receipt), `payment.receipt_file must be an absolute URL: ${String(receipt)}`).toBe(true);
    const file = await fetchLink(receipt as string);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(PNG)).toBe(true);
  });

  it('payments.create with the id: the org admin Add payment modal', async () => {
    const d = await makeDeal(org, client.id);
    const a = await send('payments.create', { token: org.users.admin.token, body: paymentForm(d.id) });
    expect2xx('payments.create', a);
    expectContract('payments.create', a.body);
    expect(await paymentsOf(d.id)).toHaveLength(2);
  });

  it('payments.create: a 400 (future payment_date) is a bare DRF field map without a top-level message', async () => {
    const d = await makeDeal(org, client.id);
    const a = await send('payments.create', { token: org.users.sales.token, body: paymentForm(d.deal_id, { payment_date: inDays(5) }) });
    expect(a.status, a.text.slice(0, 300)).toBe(400);
    const body = obj(a.body);
    expect(body, 'no top-level message (the client then shows field toasts)').not.toHaveProperty('message');
    expect(body.payment_date, `payment_date: [msg] in ${a.text.slice(0, 300)}`).toEqual([expect.any(String)]);
    for (const [key, value] of Object.entries(body)) {
      expect(Array.isArray(value) && value.every((m) => typeof m === 'string'), `${key} must be a list of messages`).toBe(true);
    }
    expect(await paymentsOf(d.deal_id)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// teams.*, projects.list (org admin)

describe('teams.*', () => {
  const teamName = () => `Sales Squad ${cap(letters())}`;

  it('teams.list (page=1&limit=10): the manage-teams page', async () => {
    const opts = { token: org.users.admin.token, query: { page: '1', limit: '10' } };
    expect(clientRequest(contractEntry('teams.list'), opts).url).toBe('/api/team/teams/?page=1&limit=10');
    const a = await send('teams.list', opts);
    expect2xx('teams.list', a);
    const list = nonEmptyList('teams.list', a.body);
    const row = list.find((r) => r.id === Number(team.id));
    expect(row, 'the fixture team').toBeDefined();
    expect(isRecord(row!.team_lead) && row!.team_lead.id === Number(org.users.supervisor.id), 'team_lead').toBe(true);
    expect((row!.members as unknown[]).length, 'members').toBeGreaterThan(0);
    expectContract('teams.list', a.body);
  });

  it('teams.list (no params, bare "?"): the manage-users page and user form', async () => {
    const opts = { token: org.users.admin.token };
    expect(clientRequest(contractEntry('teams.list'), opts).url).toBe('/api/team/teams/?');
    const a = await send('teams.list', opts);
    expect2xx('teams.list', a);
    const list = nonEmptyList('teams.list', a.body);
    expect(list.map((r) => r.name)).toContain(team.name);
    expectContract('teams.list', a.body);
  });

  it('teams.create: the team form (+977-undefined, Supervisor lead, organization, a DEAL id in projects)', async () => {
    const name = teamName();
    const a = await send('teams.create', {
      token: org.users.admin.token,
      body: { name, contact_number: '+977-undefined', team_lead_id: org.users.supervisor.id, organization: org.id, projects: [deal.id] },
    });
    expect2xx('teams.create', a);
    expect(obj(a.body).name).toBe(name);
    expectContract('teams.create', a.body);
    const list = nonEmptyList('teams.list', (await send('teams.list', { token: org.users.admin.token })).body);
    const row = list.find((r) => r.name === name);
    expect(row, 'the new team in the list').toBeDefined();
    expect(isRecord(row!.team_lead) && row!.team_lead.id === Number(org.users.supervisor.id), 'team_lead is the Supervisor').toBe(true);
    expect.soft(String(row!.contact_number), 'the "+977-undefined" placeholder is not stored as a number').not.toContain('undefined');
  });

  it('teams.members.add: {user_ids:[…]} after create (replace members)', async () => {
    const tm = await makeTeam(org, teamName());
    const userIds = [org.users.member.id, org.users.lead.id];
    const a = await send('teams.members.add', { token: org.users.admin.token, params: { id: tm.id }, body: { user_ids: userIds } });
    expect2xx('teams.members.add', a);
    expect(a.text).not.toContain('"error"');
    expectContract('teams.members.add', a.body);
    const list = nonEmptyList('teams.list', (await send('teams.list', { token: org.users.admin.token })).body);
    const row = list.find((r) => r.id === Number(tm.id));
    expect((row!.members as Record<string, unknown>[]).map((m) => m.id).sort()).toEqual(userIds.map(Number).sort());
  });

  it('teams.update: the team form (edit) with a double-prefixed contact number', async () => {
    const tm = await makeTeam(org, teamName());
    const name = teamName();
    const a = await send('teams.update', {
      token: org.users.admin.token,
      params: { id: tm.id },
      body: { name, contact_number: '+977-+977-9812345678', team_lead_id: org.users.supervisor.id, organization: org.id, projects: [deal.id] },
    });
    expect2xx('teams.update', a);
    expect(isRecord(a.body) && Object.keys(a.body).length > 0, 'teams.update must return a non-empty object').toBe(true);
    expect(obj(a.body)).toMatchObject({ id: Number(tm.id), name });
    expectContract('teams.update', a.body);
  });

  it('teams.delete: the manage-teams page', async () => {
    const tm = await makeTeam(org, teamName());
    const a = await send('teams.delete', { token: org.users.admin.token, params: { id: tm.id } });
    expect2xx('teams.delete', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('teams.delete', a.body);
    const list = clientView(contractEntry('teams.list'), (await send('teams.list', { token: org.users.admin.token })).body) as Record<string, unknown>[];
    expect(list.map((r) => r.id)).not.toContain(Number(tm.id));
  });

  it('projects.list: GET /api/project/?params=%5Bobject+Object%5D (client bug) is a 2xx', async () => {
    const opts = { token: org.users.admin.token, query: { params: '[object Object]' } };
    expect(clientRequest(contractEntry('projects.list'), opts).url).toBe('/api/project/?params=%5Bobject+Object%5D');
    const a = await send('projects.list', opts);
    expect2xx('projects.list', a);
    expect(Array.isArray(clientView(contractEntry('projects.list'), a.body)), `projects.list: a list after unwrapping, got ${a.text.slice(0, 300)}`).toBe(true);
    expectContract('projects.list', a.body);
  });
});

// ---------------------------------------------------------------------------------------------
// Verifier: the verification form and invoices (verifier.invoices / .delete are raw fetch)

describe('verifier.form.* and invoices', () => {
  it('verifier.form.get: the verification modal for a pending payment', async () => {
    const { deal: d, paymentId } = await pendingPayment();
    const a = await send('verifier.form.get', { token: org.users.verifier.token, params: { payment_id: paymentId } });
    expect2xx('verifier.form.get', a);
    const body = obj(a.body);
    expect(obj(body.payment).id).toBe(Number(paymentId));
    expect(obj(body.deal).deal_id).toBe(d.deal_id);
    expectContract('verifier.form.get', a.body);
  });

  it('verifier.form.submit: approve with an invoice file (multipart)', async () => {
    const { paymentId } = await pendingPayment();
    const a = await send('verifier.form.submit', { token: org.users.verifier.token, params: { payment_id: paymentId }, body: approveForm('1000.00') });
    expect2xx('verifier.form.submit', a);
    expect(isRecord(a.body) ? a.body : {}).not.toHaveProperty('error');
    expectContract('verifier.form.submit', a.body);
    const form = await send('verifier.form.get', { token: org.users.verifier.token, params: { payment_id: paymentId } });
    expect(obj(obj(form.body).payment)).toMatchObject({ status: 'verified' });
    expect((await invoiceOf(paymentId))?.status).toBe('paid');
  });

  it('verifier.form.submit: reject with failure_remarks (multipart, no file)', async () => {
    const { paymentId } = await pendingPayment();
    const a = await send('verifier.form.submit', { token: org.users.verifier.token, params: { payment_id: paymentId }, body: rejectForm() });
    expect2xx('verifier.form.submit', a);
    expect(isRecord(a.body) ? a.body : {}).not.toHaveProperty('error');
    expectContract('verifier.form.submit', a.body);
    const form = await send('verifier.form.get', { token: org.users.verifier.token, params: { payment_id: paymentId } });
    expect(obj(obj(form.body).payment)).toMatchObject({ status: 'rejected' });
  });

  it('verifier.invoices: a plain array with pending / verified / rejected statuses', async () => {
    const pending = await pendingPayment();
    const approved = await pendingPayment();
    const rejected = await pendingPayment();
    const decide = (paymentId: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, headers: auth(org.users.verifier.token), payload });
    expect((await decide(approved.paymentId, { status: 'approved' })).statusCode).toBe(200);
    expect((await decide(rejected.paymentId, { status: 'rejected', remarks: 'Signature missing' })).statusCode).toBe(200);

    const req = clientRequest(contractEntry('verifier.invoices'), { token: org.users.verifier.token });
    expect(req.url).toBe('/api/verifier/invoices/');
    const a = await send('verifier.invoices', { token: org.users.verifier.token });
    expect2xx('verifier.invoices', a);
    expect(Array.isArray(a.body), `verifier.invoices must be a plain array, got ${a.text.slice(0, 200)}`).toBe(true);
    const list = nonEmptyList('verifier.invoices', a.body);
    const statusOf = (paymentId: string) => list.find((i) => i.payment_id === Number(paymentId))?.status;
    expect(statusOf(pending.paymentId)).toBe('pending');
    expect(statusOf(approved.paymentId)).toBe('verified');
    expect(statusOf(rejected.paymentId)).toBe('rejected');
    for (const row of list.filter((i) => [pending, approved, rejected].some((p) => i.payment_id === Number(p.paymentId)))) {
      expect.soft(String(row.amount), 'amount is a numeric string').toMatch(/^\d+(\.\d+)?$/);
    }
    expectContract('verifier.invoices', a.body);
  });

  it('verifier.invoice.delete: Cancel answers 200 with a JSON body', async () => {
    const { paymentId } = await pendingPayment();
    const list = nonEmptyList('verifier.invoices', (await send('verifier.invoices', { token: org.users.verifier.token })).body);
    const row = list.find((i) => i.payment_id === Number(paymentId));
    expect(row, 'the pending invoice in the list').toBeDefined();
    const invoiceId = String(row!.invoice_id);
    const req = clientRequest(contractEntry('verifier.invoice.delete'), { token: org.users.verifier.token, params: { invoice_id: invoiceId } });
    expect(req.url).toBe(`/api/verifier/invoice/${invoiceId}/`);
    const a = await send('verifier.invoice.delete', { token: org.users.verifier.token, params: { invoice_id: invoiceId } });
    expect(a.status, a.text.slice(0, 300)).toBe(200);
    expect(a.contentType).toMatch(/application\/json/);
    expect(a.body, 'a JSON body (the client calls response.json())').toBeDefined();
    expect(typeof a.body === 'object' && a.body !== null, `a JSON value, got ${a.text.slice(0, 200)}`).toBe(true);
    expectContract('verifier.invoice.delete', a.body);
    expect((await invoiceOf(paymentId))?.status).not.toBe('pending');
  });
});

// ---------------------------------------------------------------------------------------------
// Lists the client paginates itself: the count is lost on unwrapping, so everything must come back

describe('lists paginated by the client', () => {
  it('clients.list returns every client for page=1&limit=10 and for organization=<id>', async () => {
    const bulk = await createOrg(t, `Contract Bulk ${letters(4)}`);
    const n = 27;
    for (let i = 0; i < n; i++) await createClient(t, bulk.users.sales.token, { client_name: `Bulk Client ${cap(letters())}` });
    const admin = await send('clients.list', { token: bulk.users.admin.token, query: { page: '1', limit: '10', search: '' } });
    expect2xx('clients.list', admin);
    expect.soft(nonEmptyList('clients.list', admin.body).length, 'org admin manage-clients (page=1&limit=10&search=)').toBe(n);
    const sales = await send('clients.list', { token: bulk.users.sales.token, query: { organization: bulk.id } });
    expect2xx('clients.list', sales);
    expect.soft(nonEmptyList('clients.list', sales.body).length, 'salesperson client page (organization=<id>)').toBe(n);
  });

  it('teams.list returns every team for page=1&limit=10', async () => {
    const bulk = await createOrg(t, `Contract Teams ${letters(4)}`);
    const n = 12;
    for (let i = 0; i < n; i++) await makeTeam(bulk, `Bulk Team ${cap(letters())}`);
    const a = await send('teams.list', { token: bulk.users.admin.token, query: { page: '1', limit: '10' } });
    expect2xx('teams.list', a);
    expect(nonEmptyList('teams.list', a.body).length, 'manage-teams (page=1&limit=10)').toBe(n);
  });
});

// ---------------------------------------------------------------------------------------------
// 401 without a token, for every entry (the same call, same body, no Authorization header)

describe('401 without a token', () => {
  const requests: Record<string, () => ClientRequestOptions[]> = {
    'clients.list': (): ClientRequestOptions[] => [{}, { query: { organization: org.id } }, { query: { page: '1', limit: '10', search: '' } }],
    'clients.create': (): ClientRequestOptions[] => [{ body: clientBody() }],
    'clients.get': (): ClientRequestOptions[] => [{ params: { id: client.id } }],
    'clients.update': (): ClientRequestOptions[] => [{ params: { id: client.id }, body: clientUpdateBody() }],
    'clients.delete': (): ClientRequestOptions[] => [{ params: { id: client.id } }],
    'deals.list': (): ClientRequestOptions[] => [{ query: { search: '', ordering: '-created_at' } }, { query: { client: client.id } }, {}],
    'deals.create': (): ClientRequestOptions[] => [{ body: dealForm(client.id) }],
    'deals.get': (): ClientRequestOptions[] => [{ params: { deal_id: deal.deal_id } }, { params: { deal_id: deal.id } }],
    'deals.update': (): ClientRequestOptions[] => [
      { params: { deal_id: deal.deal_id }, body: dealUpdateForm(client.id) },
      { params: { deal_id: deal.id }, body: dealUpdateForm(client.id) },
    ],
    'deals.delete': (): ClientRequestOptions[] => [{ params: { id: deal.id } }],
    'deals.expand': (): ClientRequestOptions[] => [{ params: { deal_id: deal.deal_id } }, { params: { deal_id: deal.id } }],
    'deals.log-activity': (): ClientRequestOptions[] => [{ params: { deal_id: deal.deal_id } }, { params: { deal_id: deal.id } }],
    'payments.create': (): ClientRequestOptions[] => [{ body: paymentForm(deal.deal_id) }, { body: paymentForm(deal.id) }],
    'teams.list': (): ClientRequestOptions[] => [{}, { query: { page: '1', limit: '10' } }],
    'teams.create': (): ClientRequestOptions[] => [{ body: { name: `Nope ${cap(letters())}`, contact_number: '+977-undefined', team_lead_id: org.users.supervisor.id, organization: org.id, projects: [deal.id] } }],
    'teams.update': (): ClientRequestOptions[] => [{ params: { id: team.id }, body: { name: `Nope ${cap(letters())}`, contact_number: '+977-+977-9812345678', team_lead_id: org.users.supervisor.id, organization: org.id } }],
    'teams.members.add': (): ClientRequestOptions[] => [{ params: { id: team.id }, body: { user_ids: [org.users.lead.id] } }],
    'teams.delete': (): ClientRequestOptions[] => [{ params: { id: team.id } }],
    'projects.list': (): ClientRequestOptions[] => [{ query: { params: '[object Object]' } }],
    'verifier.form.get': (): ClientRequestOptions[] => [{ params: { payment_id: deal.payments[0]!.id } }],
    'verifier.form.submit': (): ClientRequestOptions[] => [
      { params: { payment_id: deal.payments[0]!.id }, body: approveForm() },
      { params: { payment_id: deal.payments[0]!.id }, body: rejectForm() },
    ],
    'verifier.invoices': (): ClientRequestOptions[] => [{}],
    'verifier.invoice.delete': (): ClientRequestOptions[] => [{ params: { invoice_id: invoiceCode } }],
  };

  /** The fixtures the refused calls aimed at are unchanged. */
  async function fixturesIntact() {
    const c = await send('clients.get', { token: org.users.sales.token, params: { id: client.id } });
    expect(c.status).toBe(200);
    expect(obj(c.body).client_name ?? obj(c.body).name).toBe(client.client_name);
    const d = await send('deals.get', { token: org.users.sales.token, params: { deal_id: deal.deal_id } });
    expect(d.status).toBe(200);
    expect(obj(d.body).deal_value).not.toBe('6000.00');
    expect(((obj(d.body).payments ?? obj(d.body).payments_read) as unknown[]).length).toBe(1);
    const tm = await t.app.inject({ method: 'GET', url: `/api/team/teams/${team.id}/`, headers: auth(org.users.admin.token) });
    expect(tm.statusCode).toBe(200);
    expect(obj(tm.json()).name).toBe(team.name);
    expect((await invoiceOf(deal.payments[0]!.id))?.status).toBe('pending');
  }

  for (const [id, build] of Object.entries(requests)) {
    it(`${id}: answers 401 without a token`, async () => {
      expect(contractEntry(id).auth).toBe('token');
      for (const opts of build()) {
        const a = await send(id, opts);
        expect(a.status, `${id} without a token (${clientRequest(contractEntry(id), opts).url}): ${a.text.slice(0, 300)}`).toBe(401);
      }
      await fixturesIntact();
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 404 for another organisation's ids (id-bearing entries)

describe("404 for another organisation's ids", () => {
  const requests: Record<string, () => ClientRequestOptions[]> = {
    'clients.get': (): ClientRequestOptions[] => [
      { token: org.users.sales.token, params: { id: foreign.clientId } },
      { token: org.users.admin.token, params: { id: foreign.clientId } },
    ],
    'clients.update': (): ClientRequestOptions[] => [{ token: org.users.sales.token, params: { id: foreign.clientId }, body: clientUpdateBody() }],
    'clients.delete': (): ClientRequestOptions[] => [
      { token: org.users.sales.token, params: { id: foreign.clientId } },
      { token: org.users.admin.token, params: { id: foreign.clientId } },
    ],
    'deals.get': (): ClientRequestOptions[] => [
      { token: org.users.sales.token, params: { deal_id: foreign.dealId } },
      { token: org.users.admin.token, params: { deal_id: foreign.dealId } },
    ],
    'deals.update': (): ClientRequestOptions[] => [
      { token: org.users.sales.token, params: { deal_id: foreign.dealId }, body: dealUpdateForm(client.id) },
      { token: org.users.admin.token, params: { deal_id: foreign.dealId }, body: dealUpdateForm(client.id) },
    ],
    'deals.delete': (): ClientRequestOptions[] => [{ token: org.users.admin.token, params: { id: foreign.dealId } }],
    'deals.expand': (): ClientRequestOptions[] => [
      { token: org.users.sales.token, params: { deal_id: foreign.dealId } },
      { token: org.users.verifier.token, params: { deal_id: foreign.dealId } },
    ],
    'deals.log-activity': (): ClientRequestOptions[] => [{ token: org.users.admin.token, params: { deal_id: foreign.dealId } }],
    'payments.create': (): ClientRequestOptions[] => [{ token: org.users.admin.token, body: paymentForm(foreign.dealId) }],
    'teams.update': (): ClientRequestOptions[] => [{ token: org.users.admin.token, params: { id: foreign.teamId }, body: { name: `Hijack ${cap(letters())}`, contact_number: '+977-undefined', team_lead_id: org.users.supervisor.id, organization: org.id } }],
    'teams.members.add': (): ClientRequestOptions[] => [{ token: org.users.admin.token, params: { id: foreign.teamId }, body: { user_ids: [org.users.member.id] } }],
    'teams.delete': (): ClientRequestOptions[] => [{ token: org.users.admin.token, params: { id: foreign.teamId } }],
    'verifier.form.get': (): ClientRequestOptions[] => [{ token: org.users.verifier.token, params: { payment_id: foreign.paymentId } }],
    'verifier.form.submit': (): ClientRequestOptions[] => [
      { token: org.users.verifier.token, params: { payment_id: foreign.paymentId }, body: approveForm() },
      { token: org.users.verifier.token, params: { payment_id: foreign.paymentId }, body: rejectForm() },
    ],
    'verifier.invoice.delete': (): ClientRequestOptions[] => [{ token: org.users.verifier.token, params: { invoice_id: foreign.invoiceId } }],
  };

  for (const [id, build] of Object.entries(requests)) {
    it(`${id}: answers 404 for another organisation's id`, async () => {
      for (const opts of build()) {
        const a = await send(id, opts);
        expect(a.status, `${id} (${clientRequest(contractEntry(id), opts).url}): ${a.text.slice(0, 300)}`).toBe(404);
      }
    });
  }

  it("the other organisation's records are unchanged", async () => {
    const c = await t.app.inject({ method: 'GET', url: `/api/clients/${foreign.clientId}/`, headers: auth(other.users.sales.token) });
    expect(c.statusCode, c.body).toBe(200);
    const d = await t.app.inject({ method: 'GET', url: `/api/deals/deals/${foreign.dealId}/`, headers: auth(other.users.sales.token) });
    expect(d.statusCode, d.body).toBe(200);
    expect(obj(d.json())).toMatchObject({ deal_name: foreign.dealName });
    expect((obj(d.json()).payments as unknown[]).length).toBe(1);
    const tm = await t.app.inject({ method: 'GET', url: `/api/team/teams/${foreign.teamId}/`, headers: auth(other.users.admin.token) });
    expect(tm.statusCode, tm.body).toBe(200);
    expect(obj(tm.json()).name).toBe(foreign.teamName);
    expect((obj(tm.json()).members as Record<string, unknown>[]).map((m) => m.id)).toEqual([Number(other.users.member.id)]);
    expect((await invoiceOf(foreign.paymentId))?.status).toBe('pending');
  });
});
