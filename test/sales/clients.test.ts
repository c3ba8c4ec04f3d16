// Clients through HTTP: CRUD as the web client sends it, validation, own/team/all visibility,
// tenancy, figures derived from deals, soft delete, the activity feed and the audit trail —
// every answer checked against the database too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';
import { expectDuplicate, expectError, expectFieldErrors, expectWireId, FOREIGN_SHAPED_ID, harness, hex, sid, wire } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  t = await createTestApp();
  h = harness(t);
  a = await createOrg(t, 'Clients Alpha');
  b = await createOrg(t, 'Clients Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Client = Record<string, unknown> & { id: number; client_name: string; email: string };

const uniqueEmail = (prefix = 'client') => `${prefix}-${hex()}@example.test`;

async function createClient(who: TestUser, body: Record<string, unknown> = {}): Promise<Client> {
  const res = await h.call('POST', '/api/clients/', who.token, { client_name: `Client ${hex()}`, email: uniqueEmail(), ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Client;
}

const clientRow = async (id: string | number) =>
  (await h.q<{ organization_id: string; client_name: string; email: string; phone_number: string; status: string; satisfaction: string | null; created_by: string; updated_by: string | null; deleted_at: unknown }>(
    sql`SELECT organization_id, client_name, email, phone_number, status, satisfaction, created_by, updated_by, deleted_at FROM clients WHERE id = ${id}`,
  ))[0];
const activityRows = (clientId: string | number) =>
  h.q<{ action: string; description: string; user_id: string }>(sql`SELECT action, description, user_id FROM activity_logs WHERE client_id = ${clientId} ORDER BY created_at, action`);

const listIds = async (who: TestUser, query = '') => {
  const res = await h.call('GET', `/api/clients/?limit=1000${query}`, who.token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().results!.map((c) => c.id as number);
};

describe('authentication and permissions', () => {
  it('answers 401 without a token on every route', async () => {
    const c = await createClient(a.users.admin);
    expectError(await h.call('GET', '/api/clients/'), 401, 'not_authenticated');
    expectError(await h.call('POST', '/api/clients/', undefined, { client_name: 'X', email: uniqueEmail() }), 401);
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      expectError(await h.call(method, `/api/clients/${c.id}/`, undefined, method === 'PUT' || method === 'PATCH' ? { client_name: 'Y' } : undefined), 401);
    }
    expectError(await h.call('GET', `/api/clients/${c.id}/activity/`), 401);
    expect((await clientRow(c.id))?.client_name).toBe(c.client_name);
  });

  it('answers 403 to roles without the permission', async () => {
    const c = await createClient(a.users.admin);
    // A Team Member sees own clients but may not create, change or delete any.
    expectError(await h.call('POST', '/api/clients/', a.users.member.token, { client_name: 'Nope', email: uniqueEmail() }), 403, 'permission_denied');
    expectError(await h.call('PATCH', `/api/clients/${c.id}/`, a.users.member.token, { remarks: 'Nope' }), 403);
    expectError(await h.call('DELETE', `/api/clients/${c.id}/`, a.users.member.token), 403);
    // The Verifier and Supervisor read every client but do not edit.
    expectError(await h.call('PUT', `/api/clients/${c.id}/`, a.users.verifier.token, { client_name: 'Nope', email: c.email }), 403);
    expectError(await h.call('DELETE', `/api/clients/${c.id}/`, a.users.supervisor.token), 403);
    // The Team Lead may not delete.
    expectError(await h.call('DELETE', `/api/clients/${c.id}/`, a.users.lead.token), 403);
    // A member without a role has no client permission at all.
    const roleless = await h.freshUser(a, null);
    expectError(await h.call('GET', '/api/clients/', roleless.token), 403);
    expectError(await h.call('GET', `/api/clients/${c.id}/`, roleless.token), 403);
    expectError(await h.call('GET', `/api/clients/${c.id}/activity/`, roleless.token), 403);
    expect(await clientRow(c.id)).toMatchObject({ client_name: c.client_name, deleted_at: null });
    expect(await h.q(sql`SELECT 1 FROM clients WHERE client_name = 'Nope'`)).toHaveLength(0);
  });
});

describe('POST /api/clients/', () => {
  it('creates a client exactly as the web client sends it, with audit and activity rows', async () => {
    const entry = contractEntry('clients.create');
    const email = uniqueEmail('Maya');
    const res = await t.app.inject(
      clientRequest(entry, {
        token: a.users.sales.token,
        body: { client_name: 'Maya Gurung', email: ` ${email.toUpperCase()} `, nationality: 'Nepalese', remarks: '', phone_number: '+9779812345678' },
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(missingFields(entry, body)).toEqual([]);
    expectWireId(body.id);
    expect(body).toMatchObject({
      client_name: 'Maya Gurung', name: 'Maya Gurung', email: email.toLowerCase(), phone_number: '+9779812345678', nationality: 'Nepalese',
      status: 'pending', satisfaction: null, client_type: 'individual', organization: wire(a.id), primary_contact: 'Maya Gurung',
      created_by: { id: wire(a.users.sales.id), full_name: 'Test User', email: a.users.sales.email }, created_by_name: 'Test User',
      updated_by: null, total_deals: 0, total_value: null, deal_value: null, payment_status: null, due_date: null, totals_by_currency: [],
    });
    expect(body.activities).toEqual([expect.objectContaining({ action: 'created', description: expect.stringContaining('Maya Gurung'), user: 'Test User' })]);
    expect(await clientRow(body.id)).toMatchObject({ organization_id: a.id, email: email.toLowerCase(), created_by: sid(a.users.sales.id), deleted_at: null });
    const audit = await auditRows(t, 'client', sid(body.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'create', actor_id: sid(a.users.sales.id), organization_id: a.id, new_values: expect.objectContaining({ client_name: 'Maya Gurung' }) });
    expect(await activityRows(body.id)).toEqual([expect.objectContaining({ action: 'created', user_id: sid(a.users.sales.id) })]);
  });

  it('normalises phone numbers, stores business fields and ignores fields nobody may assign', async () => {
    const c = await createClient(a.users.admin, {
      phone_number: '+977 981-234 5678', client_type: 'business', company_name: 'Himal Traders', website: 'https://himal.example',
      tax_id: 'PAN-123', contact_person: 'Sita Rai', satisfaction: 'satisfied', status: 'clear',
      organization_id: b.id, created_by: wire(b.users.admin.id), id: wire(FOREIGN_SHAPED_ID), total_value: '99',
    });
    expect(c).toMatchObject({ phone_number: '+9779812345678', client_type: 'business', company_name: 'Himal Traders', primary_contact: 'Sita Rai', satisfaction: 'satisfied', status: 'pending', total_value: null });
    expect(c.id).not.toBe(wire(FOREIGN_SHAPED_ID));
    expect(await clientRow(FOREIGN_SHAPED_ID)).toBeUndefined();
    expect(await clientRow(c.id)).toMatchObject({ organization_id: a.id, created_by: sid(a.users.admin.id), phone_number: '+9779812345678' });
  });

  it('answers 400 with field errors on bad input, never 500', async () => {
    const token = a.users.admin.token;
    expectFieldErrors(await h.call('POST', '/api/clients/', token, {}), 'client_name', 'email');
    expectFieldErrors(await h.call('POST', '/api/clients/', token, { client_name: ' ', email: 'not-an-email' }), 'client_name', 'email');
    expectFieldErrors(await h.call('POST', '/api/clients/', token, { client_name: 'X', email: uniqueEmail(), phone_number: '98-12' }), 'phone_number');
    expectFieldErrors(await h.call('POST', '/api/clients/', token, { client_name: 'X', email: uniqueEmail(), phone_number: '+977abc1234567' }), 'phone_number');
    expectFieldErrors(await h.call('POST', '/api/clients/', token, { client_name: 'X', email: uniqueEmail(), satisfaction: 'happy', status: 'paid', client_type: 'npo' }), 'satisfaction', 'status', 'client_type');
    expectFieldErrors(await h.call('POST', '/api/clients/', token, { client_name: ['X'], email: 42 }), 'client_name', 'email');
    expect(await h.q(sql`SELECT 1 FROM clients WHERE client_name = 'X'`)).toHaveLength(0);
  });

  it('keeps e-mails unique per organisation among live clients', async () => {
    const c = await createClient(a.users.admin);
    expectDuplicate(await h.call('POST', '/api/clients/', a.users.sales.token, { client_name: 'Dup', email: c.email.toUpperCase() }), 'email');
    // Another organisation may use the same address.
    const other = await h.call('POST', '/api/clients/', b.users.admin.token, { client_name: 'Same mail', email: c.email });
    expect(other.statusCode).toBe(201);
    // Once deleted, the address is free again.
    expect((await h.call('DELETE', `/api/clients/${c.id}/`, a.users.admin.token)).statusCode).toBe(204);
    const again = await h.call('POST', '/api/clients/', a.users.admin.token, { client_name: 'Reborn', email: c.email });
    expect(again.statusCode, again.body).toBe(201);
    expect(await h.q(sql`SELECT 1 FROM clients WHERE organization_id = ${a.id} AND email = ${c.email} AND deleted_at IS NULL`)).toHaveLength(1);
  });

  it('lets a Super Admin create only in a named organisation', async () => {
    expectFieldErrors(await h.call('POST', '/api/clients/', su.token, { client_name: 'Rootless', email: uniqueEmail() }), 'organization');
    const res = await h.call('POST', '/api/clients/', su.token, { client_name: 'Rooted', email: uniqueEmail(), organization: b.id });
    expect(res.statusCode, res.body).toBe(201);
    expect((await clientRow(res.json().id as string))?.organization_id).toBe(b.id);
  });
});

describe('GET /api/clients/', () => {
  it('searches by name, e-mail and phone, filters, orders and paginates', async () => {
    const tag = hex();
    const c1 = await createClient(a.users.admin, { client_name: `Zed ${tag}`, status: 'clear', satisfaction: 'neutral', phone_number: '+9779800011111' });
    const c2 = await createClient(a.users.admin, { client_name: `Amy ${tag}`, status: 'bad_debt', client_type: 'business' });
    await createClient(b.users.admin, { client_name: `Foreign ${tag}` });
    // The status follows money, which these clients have none of: set it as a payment would.
    await h.q(sql`UPDATE clients SET status = 'clear' WHERE id = ${sid(c1.id)}`);
    const token = a.users.admin.token;
    const names = async (query: string) => (await h.call('GET', `/api/clients/?${query}`, token)).json().results!.map((c) => c.client_name);
    expect(await names(`search=${tag.toUpperCase()}`)).toEqual([`Amy ${tag}`, `Zed ${tag}`]);
    expect(await names(`search=${tag}&ordering=-client_name`)).toEqual([`Zed ${tag}`, `Amy ${tag}`]);
    expect(await names(`search=${c2.email.slice(0, 12)}`)).toEqual([`Amy ${tag}`]);
    expect(await names('search=98000 11111')).toEqual([`Zed ${tag}`]);
    expect(await names(`search=${tag}&status=clear`)).toEqual([`Zed ${tag}`]);
    expect(await names(`search=${tag}&satisfaction=neutral`)).toEqual([`Zed ${tag}`]);
    expect(await names(`search=${tag}&client_type=business`)).toEqual([`Amy ${tag}`]);
    expect(await names(`search=${tag}&created_by=${a.users.sales.id}`)).toEqual([]);
    expect(await names(`search=${tag}&created_by=${a.users.admin.id}`)).toEqual([`Amy ${tag}`, `Zed ${tag}`]);
    expect(await names(`search=${tag}&created_by=${b.users.admin.id}`)).toEqual([]);
    expect(await names(`search=${tag}&ordering=-created_at`)).toEqual([`Amy ${tag}`, `Zed ${tag}`]);
    const page = (await h.call('GET', `/api/clients/?search=${tag}&page=2&page_size=1`, token)).json();
    expect(page).toMatchObject({ count: 2, next: null });
    expect(page.results!.map((c) => c.id)).toEqual([c1.id]);
    expect(page.results![0]).not.toHaveProperty('activities');
    expectFieldErrors(await h.call('GET', '/api/clients/?status=owing', token), 'status');
    for (const bad of ['abc', '0', '-5', '1.5']) expectFieldErrors(await h.call('GET', `/api/clients/?created_by=${bad}`, token), 'created_by');
    expectFieldErrors(await h.call('GET', '/api/clients/?limit=0', token), 'limit');
  });

  it("answers the web client's two list calls (organization=<own id>; page/limit/empty search)", async () => {
    const mine = await createClient(a.users.sales);
    const entry = contractEntry('clients.list');
    const own = await t.app.inject(clientRequest(entry, { token: a.users.sales.token, query: { organization: a.id } }));
    expect(own.statusCode, own.body).toBe(200);
    expect(missingFields(entry, own.json())).toEqual([]);
    expect(own.json().results.map((c: Client) => c.id)).toContain(mine.id);
    const admin = await t.app.inject(clientRequest(entry, { token: a.users.admin.token, query: { page: '1', limit: '10', search: '' } }));
    expect(admin.statusCode).toBe(200);
    expect(admin.json().results.length).toBeGreaterThan(0);
    expect(missingFields(entry, admin.json())).toEqual([]);
    // Another organisation's id shows nothing; a Super Admin must name an organisation.
    expect((await h.call('GET', `/api/clients/?organization=${b.id}`, a.users.admin.token)).json().count).toBe(0);
    expect((await h.call('GET', '/api/clients/', su.token)).json().count).toBe(0);
    const root = (await h.call('GET', `/api/clients/?organization=${a.id}&limit=1000`, su.token)).json();
    expect(root.results!.map((c) => c.id)).toContain(mine.id);
  });
});

describe('visibility', () => {
  it('shows a Salesperson only the clients they created (list, detail, update, delete, activity)', async () => {
    const s2 = await h.freshUser(a, 'Salesperson', 'Second');
    const mine = await createClient(a.users.sales);
    const theirs = await createClient(s2);
    const byAdmin = await createClient(a.users.admin);
    const seen = await listIds(a.users.sales);
    expect(seen).toContain(mine.id);
    expect(seen).not.toContain(theirs.id);
    expect(seen).not.toContain(byAdmin.id);
    expect((await h.call('GET', `/api/clients/${mine.id}/`, a.users.sales.token)).statusCode).toBe(200);
    for (const id of [theirs.id, byAdmin.id]) {
      expectError(await h.call('GET', `/api/clients/${id}/`, a.users.sales.token), 404, 'not_found');
      expectError(await h.call('PATCH', `/api/clients/${id}/`, a.users.sales.token, { remarks: 'mine now' }), 404);
      expectError(await h.call('DELETE', `/api/clients/${id}/`, a.users.sales.token), 404);
      expectError(await h.call('GET', `/api/clients/${id}/activity/`, a.users.sales.token), 404);
    }
    expect(await clientRow(theirs.id)).toMatchObject({ deleted_at: null });
    // Admin, Supervisor and Verifier see the whole organisation.
    for (const who of [a.users.admin, a.users.supervisor, a.users.verifier]) {
      expect(await listIds(who)).toEqual(expect.arrayContaining([mine.id, theirs.id, byAdmin.id]));
    }
  });

  it("shows a Team Lead the clients of the teams they lead or share, and their own", async () => {
    const s1 = await h.freshUser(a, 'Salesperson', 'Led');
    const s2 = await h.freshUser(a, 'Salesperson', 'Unled');
    const s3 = await h.freshUser(a, 'Salesperson', 'Mate');
    const lead2 = await h.freshUser(a, 'Team Lead', 'Peer');
    const led = await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: `Led ${hex()}`, team_lead_id: wire(a.users.lead.id), member_ids: [wire(s1.id)] });
    expect(led.statusCode, led.body).toBe(201);
    const shared = await h.call('POST', '/api/team/teams/', a.users.admin.token, { name: `Shared ${hex()}`, member_ids: [wire(lead2.id), wire(s3.id)] });
    expect(shared.statusCode, shared.body).toBe(201);
    const c1 = await createClient(s1);
    const c2 = await createClient(s2);
    const c3 = await createClient(s3);
    const own = await createClient(a.users.lead);
    const leadSees = await listIds(a.users.lead);
    expect(leadSees).toEqual(expect.arrayContaining([c1.id, own.id]));
    expect(leadSees).not.toContain(c2.id);
    expect(leadSees).not.toContain(c3.id);
    expect((await h.call('GET', `/api/clients/${c1.id}/`, a.users.lead.token)).statusCode).toBe(200);
    expectError(await h.call('GET', `/api/clients/${c2.id}/`, a.users.lead.token), 404);
    const peerSees = await listIds(lead2);
    expect(peerSees).toContain(c3.id);
    expect(peerSees).not.toContain(c1.id);
    // The lead edits a team client (clients:change) and the change is attributed to them.
    const edited = await h.call('PATCH', `/api/clients/${c1.id}/`, a.users.lead.token, { satisfaction: 'satisfied' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(await clientRow(c1.id)).toMatchObject({ satisfaction: 'satisfied', updated_by: sid(a.users.lead.id) });
  });
});
