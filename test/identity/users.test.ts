// User management through HTTP: /api/auth/users/…, the profile and the sales target. Every
// test reads the database as well as the response; tenancy, permissions, mass assignment and
// deactivation are checked for Org Admins, lesser roles and Super Admins.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, auth, createOrg, createSuperAdmin, insertTestUser, login, PASSWORD, type TestOrg, type TestUser } from '../support/identity.ts';
import { UNKNOWN_ID as UNKNOWN, MALFORMED_IDS as MALFORMED, dbId, wireId } from '../support/ids.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  a = await createOrg(t, 'Users Alpha');
  b = await createOrg(t, 'Users Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: object) =>
  t.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload ? { payload } : {}) });
const q = <T = Record<string, unknown>>(query: SQL) => t.db.system((tx) => rows<T>(tx, query));
const uniqueEmail = (prefix = 'new') => `${prefix}-${randomBytes(4).toString('hex')}@example.test`;
const STRONG = 'Granite-Falcon-73!';
const FOREIGN_ROLE = () => b.roles.get('Verifier')!;

async function userRow(id: string) {
  const [u] = await q<{ email: string; first_name: string; contact_number: string; is_active: boolean; is_superuser: boolean; must_change_password: boolean; status: string; sales_target: string }>(
    // The target is the organisation's: its membership's (users.sales_target is no longer used).
    sql`SELECT email, first_name, contact_number, is_active, is_superuser, must_change_password, status,
          (SELECT m.sales_target::text FROM memberships m WHERE m.user_id = users.id ORDER BY m.created_at LIMIT 1) AS sales_target
        FROM users WHERE id = ${id}`,
  );
  return u;
}
async function memberships(userId: string) {
  return q<{ organization_id: string; role_name: string | null; is_active: boolean }>(
    sql`SELECT m.organization_id, r.name AS role_name, m.is_active FROM memberships m LEFT JOIN roles r ON r.id = m.role_id WHERE m.user_id = ${userId} ORDER BY m.created_at`,
  );
}
async function userIdByEmail(email: string) {
  const [u] = await q<{ id: string }>(sql`SELECT id FROM users WHERE email = ${email.toLowerCase()}`);
  return u?.id;
}
/** A fresh member of an organisation, signed in. */
async function freshUser(org: TestOrg, role = 'Salesperson') {
  const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get(role)!, email: uniqueEmail(role.toLowerCase().replace(' ', '-')) });
  // The database's id (a decimal string), not the login response's JSON integer.
  return { ...(await login(t, u.email)), id: u.id };
}

function expectError(res: { statusCode: number; json(): Record<string, unknown>; headers: Record<string, unknown> }, status: number, code?: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.detail).toEqual(expect.any(String));
  expect(body.message).toBe(body.detail);
  expect(body.request_id).toBe(res.headers['x-request-id']);
  if (code) expect(body.code).toBe(code);
  return body;
}

const USER_FIELDS = [
  'id', 'email', 'username', 'first_name', 'last_name', 'full_name', 'role', 'user_type', 'organization', 'organization_name',
  'contact_number', 'phoneNumber', 'address', 'status', 'is_active', 'is_superuser', 'must_change_password', 'sales_target',
  'teams', 'profile', 'date_joined',
];

describe('GET /api/auth/users/', () => {
  it('requires a token', async () => {
    const res = await call('GET', '/api/auth/users/');
    expectError(res, 401, 'not_authenticated');
  });

  it('is refused to roles without users:view', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.verifier, a.users.lead]) {
      expectError(await call('GET', '/api/auth/users/', who.token), 403, 'permission_denied');
    }
  });

  it("lists only the Org Admin's organisation, with the fields the client reads", async () => {
    const res = await call('GET', '/api/auth/users/', a.users.admin.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const [dbCount] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM memberships WHERE organization_id = ${a.id}`);
    expect(body.count).toBe(dbCount!.n);
    expect(body.results).toHaveLength(dbCount!.n);
    expect(body).toMatchObject({ next: null, previous: null });
    for (const u of body.results) {
      wireId(u.id);
      expect(u.organization).toBe(Number(a.id));
      expect(u.organizationId).toBe(Number(a.id));
      if (u.role) wireId(u.role.id);
      expect(u.organization_name).toBe(a.name);
      for (const f of USER_FIELDS) expect(u).toHaveProperty(f);
      expect(u).not.toHaveProperty('password_hash');
      expect(u).not.toHaveProperty('totp_secret');
    }
    const emails = body.results.map((u: { email: string }) => u.email);
    expect(emails).toEqual(expect.arrayContaining(Object.values(a.users).map((u) => u.email)));
    for (const u of Object.values(b.users)) expect(emails).not.toContain(u.email);
    const admin = body.results.find((u: { id: number }) => u.id === Number(a.users.admin.id));
    expect(admin.role).toEqual({ id: Number(a.roles.get('Org Admin')), name: 'Org Admin' });
    expect(admin.user_type).toBe('org_admin');
  });

  it('lets a Supervisor (users:view) read the list', async () => {
    const res = await call('GET', '/api/auth/users/', a.users.supervisor.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().results.length).toBeGreaterThan(0);
    expect(res.json().results.every((u: { organization: number }) => u.organization === Number(a.id))).toBe(true);
  });

  it('filters by role name (as the client sends it), search and is_active', async () => {
    const byRole = await call('GET', '/api/auth/users/?role=Verifier', a.users.admin.token);
    expect(byRole.statusCode).toBe(200);
    expect(byRole.json().results.map((u: { id: number }) => u.id)).toEqual([Number(a.users.verifier.id)]);
    const spaced = await call('GET', '/api/auth/users/?role=Org+Admin', a.users.admin.token);
    expect(spaced.json().results.map((u: { id: number }) => u.id)).toContain(Number(a.users.admin.id));
    expect(spaced.json().results.every((u: { role: { name: string } }) => u.role.name === 'Org Admin')).toBe(true);
    const search = await call('GET', `/api/auth/users/?search=${encodeURIComponent(a.users.lead.email)}`, a.users.admin.token);
    expect(search.json().results.map((u: { id: number }) => u.id)).toEqual([Number(a.users.lead.id)]);
    const foreign = await call('GET', `/api/auth/users/?search=${encodeURIComponent(b.users.lead.email)}`, a.users.admin.token);
    expect(foreign.json()).toMatchObject({ count: 0, results: [] });
  });

  it("ignores another organisation named in the query: an Org Admin never sees that organisation's users", async () => {
    const res = await call('GET', `/api/auth/users/?organization=${b.id}`, a.users.admin.token);
    expect([200, 404]).toContain(res.statusCode);
    if (res.statusCode === 200) {
      for (const u of res.json().results) expect(u.organization).toBe(Number(a.id));
    }
  });

  it('answers bad query values with 400 and field errors', async () => {
    const res = await call('GET', '/api/auth/users/?is_active=maybe&page_size=zero', a.users.admin.token);
    const body = expectError(res, 400, 'validation_error');
    expect(body.is_active).toEqual([expect.any(String)]);
    expect(body.page_size).toEqual([expect.any(String)]);
  });

  it('lets a Super Admin list every user, or one organisation', async () => {
    const all = await call('GET', '/api/auth/users/?page_size=1000', su.token);
    expect(all.statusCode).toBe(200);
    const [n] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`);
    expect(all.json().count).toBe(n!.n);
    const ids = all.json().results.map((u: { id: number }) => u.id);
    expect(ids).toEqual(expect.arrayContaining([a.users.admin.id, b.users.admin.id, su.id].map(Number)));

    const onlyB = await call('GET', `/api/auth/users/?organization=${b.id}`, su.token);
    expect(onlyB.statusCode).toBe(200);
    expect(onlyB.json().results.length).toBeGreaterThanOrEqual(6);
    for (const u of onlyB.json().results) expect(u.organization).toBe(Number(b.id));

    const admins = await call('GET', '/api/auth/users/?role=Org+Admin&page_size=1000', su.token);
    const adminIds = admins.json().results.map((u: { id: number }) => u.id);
    expect(adminIds).toEqual(expect.arrayContaining([Number(a.users.admin.id), Number(b.users.admin.id)]));
    expect(adminIds).not.toContain(Number(a.users.sales.id));
  });

  it('answers a Super Admin naming an unknown organisation with 400 organization', async () => {
    const res = await call('GET', '/api/auth/users/?organization=not-an-id', su.token);
    expect(expectError(res, 400).organization).toEqual([expect.any(String)]);
  });
});

describe('POST /api/auth/users/', () => {
  it('requires a token', async () => {
    const email = uniqueEmail();
    expectError(await call('POST', '/api/auth/users/', undefined, { email, role: 'Salesperson' }), 401);
    expect(await userIdByEmail(email)).toBeUndefined();
  });

  it('is refused to roles without users:create', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.supervisor, a.users.verifier]) {
      const email = uniqueEmail();
      expectError(await call('POST', '/api/auth/users/', who.token, { email, role: 'Salesperson', password: STRONG }), 403, 'permission_denied');
      expect(await userIdByEmail(email)).toBeUndefined();
    }
  });

  it('creates a user with a role NAME and a password, in the admin\'s organisation, and audits it', async () => {
    const email = uniqueEmail('verifier');
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, {
      username: `verifier_${Date.now()}`,
      first_name: 'Vera',
      last_name: 'Fier',
      email,
      contact_number: '+977-9812345678',
      password: STRONG,
      role: 'Verifier',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    for (const f of USER_FIELDS) expect(body).toHaveProperty(f);
    expect(body).toMatchObject({
      email,
      first_name: 'Vera',
      last_name: 'Fier',
      role: { id: Number(a.roles.get('Verifier')), name: 'Verifier' },
      user_type: 'verifier',
      organization: Number(a.id),
      contact_number: '+977-9812345678',
      phoneNumber: '+977-9812345678',
      is_active: true,
      is_superuser: false,
      must_change_password: false,
    });
    expect(body).not.toHaveProperty('password');
    const id = wireId(body.id);
    expect(await userRow(id)).toMatchObject({ email, is_active: true, is_superuser: false, must_change_password: false });
    expect(await memberships(id)).toEqual([{ organization_id: a.id, role_name: 'Verifier', is_active: true }]);
    const mail = await q(sql`SELECT organization_id FROM email_outbox WHERE recipient = ${email}`);
    expect(mail).toEqual([{ organization_id: a.id }]);
    // The given password works.
    const session = await login(t, email, STRONG);
    expect(session.id).toBe(body.id);

    const audit = await auditRows(t, 'user', id);
    const created = audit.find((r) => r.action === 'create');
    expect(created).toMatchObject({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'] });
    expect(JSON.stringify(created!.new_values)).not.toContain(STRONG);
  });

  it('accepts the role id as a string, as the client sends it when the select is untouched', async () => {
    const email = uniqueEmail('sup');
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, role: String(a.roles.get('Supervisor')), password: STRONG });
    expect(res.statusCode).toBe(201);
    expect(res.json().role).toEqual({ id: Number(a.roles.get('Supervisor')), name: 'Supervisor' });
    expect((await memberships(wireId(res.json().id)))[0]!.role_name).toBe('Supervisor');
  });

  it('accepts the role id as a JSON integer', async () => {
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email: uniqueEmail('int'), role: Number(a.roles.get('Team Lead')), password: STRONG });
    expect(res.statusCode).toBe(201);
    expect(res.json().role).toEqual({ id: Number(a.roles.get('Team Lead')), name: 'Team Lead' });
    expect((await memberships(wireId(res.json().id)))[0]!.role_name).toBe('Team Lead');
  });

  it('without a password generates one, requires a change at first login and e-mails it', async () => {
    const email = uniqueEmail('gen');
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, first_name: 'Gen', last_name: 'Erated', role: 'Team Member' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ must_change_password: true, role: { name: 'Team Member' } });
    expect(await userRow(res.json().id)).toMatchObject({ must_change_password: true, is_active: true });
    const mails = await q<{ body: string; organization_id: string; sent_at: string | null }>(sql`SELECT body, organization_id, sent_at FROM email_outbox WHERE recipient = ${email}`);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ organization_id: a.id, sent_at: null });
    const temporary = /temporary password (\S+)/.exec(mails[0]!.body)?.[1];
    expect(temporary).toBeTruthy();
    const first = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email, password: temporary } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ requires_password_change: true, temporary_token: expect.any(String) });
    expect(first.json().token).toBeFalsy();
  });

  it('defaults the role to Salesperson for an Org Admin', async () => {
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email: uniqueEmail('default'), password: STRONG });
    expect(res.statusCode).toBe(201);
    expect(res.json().role.name).toBe('Salesperson');
    expect((await memberships(res.json().id))[0]).toMatchObject({ organization_id: a.id, role_name: 'Salesperson' });
  });

  it('normalises a doubled country code in the contact number', async () => {
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email: uniqueEmail('phone'), password: STRONG, role: 'Salesperson', contact_number: '+977-+977-9812345678' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ contact_number: '+977-9812345678', phoneNumber: '+977-9812345678' });
    expect((await userRow(res.json().id))!.contact_number).toBe('+977-9812345678');
  });

  it('refuses a duplicate e-mail (any case, any organisation) with 409 email', async () => {
    for (const email of [a.users.sales.email, a.users.sales.email.toUpperCase(), b.users.sales.email]) {
      const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: 'Salesperson' });
      expect(expectError(res, 409, 'duplicate').email).toEqual([expect.any(String)]);
    }
    // The user of the other organisation did not move.
    expect(await memberships(b.users.sales.id)).toEqual([{ organization_id: b.id, role_name: 'Salesperson', is_active: true }]);
  });

  it('refuses a weak password with 400 password and creates nothing', async () => {
    for (const password of ['short', 'alllowercaseletters', 'Password123!']) {
      const email = uniqueEmail('weak');
      const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password, role: 'Salesperson' });
      expect(expectError(res, 400).password).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(await userIdByEmail(email)).toBeUndefined();
    }
  });

  it('answers invalid fields with 400 and DRF field errors, never 500', async () => {
    const cases: [object, string][] = [
      [{ password: STRONG }, 'email'],
      [{ email: 'not-an-email' }, 'email'],
      [{ email: uniqueEmail(), first_name: 'x'.repeat(151) }, 'first_name'],
      [{ email: uniqueEmail(), is_active: 'yes' }, 'is_active'],
      [{ email: uniqueEmail(), sales_target: '-5' }, 'sales_target'],
      [{ email: uniqueEmail(), role: 'Astronaut' }, 'role'],
      [{ email: uniqueEmail(), role: FOREIGN_ROLE() }, 'role'],
      [{ email: uniqueEmail(), role: 'Super Admin' }, 'role'],
      [{ email: uniqueEmail(), role: 'a'.repeat(8) + '-'.repeat(28) }, 'role'],
    ];
    for (const [payload, field] of cases) {
      const res = await call('POST', '/api/auth/users/', a.users.admin.token, payload);
      expect(expectError(res, 400)[field], `${field} of ${JSON.stringify(payload)}`).toEqual([expect.any(String)]);
    }
    const [n] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE email LIKE 'new-%'`);
    expect(n!.n).toBe(0);
  });

  it("ignores mass-assigned organization and is_superuser: the user lands in the admin's own organisation", async () => {
    const email = uniqueEmail('mass');
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: 'Salesperson', organization: b.id, is_superuser: true });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ organization: Number(a.id), is_superuser: false });
    expect(await userRow(res.json().id)).toMatchObject({ is_superuser: false });
    expect(await memberships(res.json().id)).toEqual([{ organization_id: a.id, role_name: 'Salesperson', is_active: true }]);
  });

  it('lets an Org Admin hand out Org Admin (they hold every permission it carries)', async () => {
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email: uniqueEmail('coadmin'), password: STRONG, role: 'Org Admin' });
    expect(res.statusCode).toBe(201);
    expect((await memberships(res.json().id))[0]!.role_name).toBe('Org Admin');
  });

  it('lets a Super Admin create the Org Admin of an organisation with {first_name,last_name,email,organization,is_active}', async () => {
    const email = uniqueEmail('orgadmin');
    const res = await call('POST', '/api/auth/users/', su.token, { first_name: 'Olga', last_name: 'Admin', email, organization: b.id, is_active: true });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email, organization: Number(b.id), organization_name: b.name, role: { name: 'Org Admin' }, user_type: 'org_admin', must_change_password: true, is_active: true });
    expect(await userRow(res.json().id)).toMatchObject({ must_change_password: true, is_superuser: false });
    expect(await memberships(res.json().id)).toEqual([{ organization_id: b.id, role_name: 'Org Admin', is_active: true }]);
    const mails = await q(sql`SELECT organization_id FROM email_outbox WHERE recipient = ${email}`);
    expect(mails).toEqual([{ organization_id: b.id }]);
    const created = (await auditRows(t, 'user', res.json().id)).find((r) => r.action === 'create');
    expect(created).toMatchObject({ actor_id: dbId(su.id), organization_id: b.id, request_id: res.headers['x-request-id'] });
  });

  it('asks a Super Admin for a real organisation', async () => {
    const missing = await call('POST', '/api/auth/users/', su.token, { email: uniqueEmail(), first_name: 'No', last_name: 'Org' });
    expect(expectError(missing, 400).organization).toEqual([expect.any(String)]);
    for (const organization of [UNKNOWN, Number(UNKNOWN), 'abc', '0', 0, -2, 1.5, '2.0', '99999999999999999999']) {
      const email = uniqueEmail();
      const res = await call('POST', '/api/auth/users/', su.token, { email, organization });
      expect(expectError(res, 400).organization, JSON.stringify(organization)).toEqual([expect.any(String)]);
      expect(await userIdByEmail(email)).toBeUndefined();
    }
  });
});

describe('an Org Admin cannot hand out permissions they do not hold', () => {
  let c: TestOrg;
  let auditorRole: string;
  beforeAll(async () => {
    c = await createOrg(t, 'Users Gamma');
    const role = await call('POST', '/api/permissions/roles/', c.users.admin.token, { name: 'Auditor', permissions: ['audit:view', 'users:view'] });
    expect(role.statusCode).toBe(201);
    auditorRole = wireId(role.json().id);
    // Take audit:view away from this organisation's Org Admin role.
    await t.db.system((tx) =>
      tx.execute(sql`DELETE FROM role_permissions WHERE role_id = ${c.roles.get('Org Admin')!} AND permission_id = (SELECT id FROM permissions WHERE code = 'audit:view')`),
    );
    // Written behind the API: the actor cache has to be told, as the role service does.
    t.app.actorCache.invalidate({ kind: 'role', id: c.roles.get('Org Admin')! });
  });

  it('on create: 403, and no user is created', async () => {
    for (const role of ['Auditor', auditorRole]) {
      const email = uniqueEmail('escalate');
      const res = await call('POST', '/api/auth/users/', c.users.admin.token, { email, password: STRONG, role });
      expectError(res, 403, 'permission_not_held');
      expect(await userIdByEmail(email)).toBeUndefined();
    }
  });

  it('on role change: 403, and the role stays', async () => {
    const res = await call('PATCH', `/api/auth/users/${c.users.sales.id}/`, c.users.admin.token, { role: 'Auditor' });
    expectError(res, 403, 'permission_not_held');
    expect((await memberships(c.users.sales.id))[0]!.role_name).toBe('Salesperson');
  });

  it('applies to default roles too (Verifier carries audit:view), while roles within their permissions stay assignable', async () => {
    const res = await call('POST', '/api/auth/users/', c.users.admin.token, { email: uniqueEmail('fine'), password: STRONG, role: 'Verifier' });
    expectError(res, 403, 'permission_not_held');
    const ok = await call('POST', '/api/auth/users/', c.users.admin.token, { email: uniqueEmail('fine'), password: STRONG, role: 'Team Member' });
    expect(ok.statusCode).toBe(201);
  });
});

describe('GET /api/auth/users/:id/', () => {
  it('requires a token', async () => {
    expectError(await call('GET', `/api/auth/users/${a.users.sales.id}/`), 401);
  });

  it('is refused to roles without users:view', async () => {
    for (const who of [a.users.sales, a.users.member]) expectError(await call('GET', `/api/auth/users/${a.users.lead.id}/`, who.token), 403);
  });

  it('answers a user of the organisation with the full shape', async () => {
    const res = await call('GET', `/api/auth/users/${a.users.lead.id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(200);
    for (const f of USER_FIELDS) expect(res.json()).toHaveProperty(f);
    expect(res.json()).toMatchObject({ id: Number(a.users.lead.id), email: a.users.lead.email, organization: Number(a.id), organization_name: a.name, role: { name: 'Team Lead' }, user_type: 'team_lead', is_active: true });
    const sup = await call('GET', `/api/auth/users/${a.users.lead.id}/`, a.users.supervisor.token);
    expect(sup.statusCode).toBe(200);
  });

  it('answers 404 for a user of another organisation, an unknown id and a malformed id', async () => {
    for (const id of [...Object.values(b.users).map((u) => u.id), UNKNOWN, ...MALFORMED]) {
      expectError(await call('GET', `/api/auth/users/${id}/`, a.users.admin.token), 404, 'not_found');
    }
    // Not even a Supervisor learns that the foreign user exists.
    expectError(await call('GET', `/api/auth/users/${b.users.admin.id}/`, a.users.supervisor.token), 404);
  });

  it('lets a Super Admin read a user of any organisation', async () => {
    const res = await call('GET', `/api/auth/users/${b.users.verifier.id}/`, su.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: Number(b.users.verifier.id), organization: Number(b.id), organization_name: b.name, role: { name: 'Verifier' } });
    for (const id of [UNKNOWN, ...MALFORMED]) expectError(await call('GET', `/api/auth/users/${id}/`, su.token), 404);
  });
});

describe('PUT/PATCH /api/auth/users/:id/', () => {
  it('requires a token', async () => {
    expectError(await call('PATCH', `/api/auth/users/${a.users.sales.id}/`, undefined, { first_name: 'X' }), 401);
    expect((await userRow(a.users.sales.id))!.first_name).toBe('Test');
  });

  it('is refused to roles without users:change', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.supervisor]) {
      expectError(await call('PATCH', `/api/auth/users/${a.users.lead.id}/`, who.token, { first_name: 'Hacked' }), 403);
    }
    expect((await userRow(a.users.lead.id))!.first_name).toBe('Test');
  });

  it('updates personal fields, normalises the contact number and audits the change', async () => {
    const target = await freshUser(a);
    const res = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, {
      username: `renamed_${Date.now()}`,
      first_name: 'Renamed',
      last_name: 'Person',
      contact_number: '+977-+977-9812345678',
      role: String(a.roles.get('Salesperson')), // untouched select: the current role id
      is_active: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: Number(target.id), first_name: 'Renamed', last_name: 'Person', contact_number: '+977-9812345678', role: { name: 'Salesperson' } });
    expect(await userRow(target.id)).toMatchObject({ first_name: 'Renamed', contact_number: '+977-9812345678', is_active: true });
    // The form's "<code>-undefined" for an empty number is stored as empty.
    const blank = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { contact_number: '+977-undefined' });
    expect(blank.json().contact_number).toBe('');
    expect((await userRow(target.id))!.contact_number).toBe('');
    const audit = (await auditRows(t, 'user', target.id)).filter((r) => r.action === 'update');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'] });
    expect(audit[1]).toMatchObject({ request_id: blank.headers['x-request-id'], new_values: { contact_number: '' } });
    expect(audit[0]!.new_values).toMatchObject({ first_name: 'Renamed' });
    expect(audit[0]!.old_values).toMatchObject({ first_name: 'Test' });
  });

  it('changes the role by NAME or by id string, and the new role applies to the next request', async () => {
    const target = await freshUser(a);
    expectError(await call('GET', '/api/auth/users/', target.token), 403);
    const byName = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { role: 'Supervisor' });
    expect(byName.statusCode).toBe(200);
    expect(byName.json().role).toEqual({ id: Number(a.roles.get('Supervisor')), name: 'Supervisor' });
    expect((await memberships(target.id))[0]!.role_name).toBe('Supervisor');
    expect((await call('GET', '/api/auth/users/', target.token)).statusCode).toBe(200);
    const change = (await auditRows(t, 'user', target.id)).find((r) => r.action === 'role_change');
    expect(change).toMatchObject({ actor_id: dbId(a.users.admin.id), request_id: byName.headers['x-request-id'], old_values: { role: 'Salesperson' }, new_values: { role: 'Supervisor' } });

    const byId = await call('PUT', `/api/auth/users/${target.id}/`, a.users.admin.token, { role: String(a.roles.get('Verifier')) });
    expect(byId.statusCode).toBe(200);
    expect((await memberships(target.id))[0]!.role_name).toBe('Verifier');

    const byInteger = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { role: Number(a.roles.get('Team Lead')) });
    expect(byInteger.statusCode).toBe(200);
    expect(byInteger.json().role).toEqual({ id: Number(a.roles.get('Team Lead')), name: 'Team Lead' });
    expect((await memberships(target.id))[0]!.role_name).toBe('Team Lead');
  });

  it('answers 404 for a user of another organisation and leaves them untouched', async () => {
    for (const method of ['PATCH', 'PUT'] as const) {
      const res = await call(method, `/api/auth/users/${b.users.sales.id}/`, a.users.admin.token, { first_name: 'Stolen', role: 'Org Admin', is_active: false });
      expectError(res, 404, 'not_found');
    }
    expect(await userRow(b.users.sales.id)).toMatchObject({ first_name: 'Test', is_active: true });
    expect(await memberships(b.users.sales.id)).toEqual([{ organization_id: b.id, role_name: 'Salesperson', is_active: true }]);
  });

  it('answers 404 for malformed and unknown ids', async () => {
    for (const id of [...MALFORMED, UNKNOWN]) {
      expectError(await call('PATCH', `/api/auth/users/${id}/`, a.users.admin.token, { first_name: 'X' }), 404);
    }
  });

  it('answers bad input with 400 field errors (409 for an e-mail in use)', async () => {
    const cases: [object, string, number?][] = [
      [{ email: 'nope' }, 'email'],
      [{ status: 'retired' }, 'status'],
      [{ is_active: 'yes' }, 'is_active'],
      [{ sales_target: 'lots' }, 'sales_target'],
      [{ role: 'Astronaut' }, 'role'],
      [{ role: FOREIGN_ROLE() }, 'role'],
      [{ role: Number(FOREIGN_ROLE()) }, 'role'],
      [{ role: 'Super Admin' }, 'role'],
      [{ email: a.users.verifier.email }, 'email', 409],
      [{ email: b.users.verifier.email }, 'email', 409],
    ];
    for (const [payload, field, status] of cases) {
      const res = await call('PATCH', `/api/auth/users/${a.users.lead.id}/`, a.users.admin.token, payload);
      expect(expectError(res, status ?? 400)[field], JSON.stringify(payload)).toEqual([expect.any(String)]);
    }
    expect(await userRow(a.users.lead.id)).toMatchObject({ email: a.users.lead.email, status: 'active' });
    expect((await memberships(a.users.lead.id))[0]!.role_name).toBe('Team Lead');
  });

  it('refuses a change of one\'s own role (403) and self-deactivation (400)', async () => {
    const admin = a.users.admin;
    expectError(await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { role: 'Salesperson' }), 403, 'self_role_change');
    expectError(await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { is_active: false }), 400);
    expect((await memberships(admin.id))[0]).toMatchObject({ role_name: 'Org Admin', is_active: true });
    expect((await userRow(admin.id))!.is_active).toBe(true);
    // Re-sending one's current role (name or id) is not a change.
    expect((await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { role: 'Org Admin' })).statusCode).toBe(200);
    expect((await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { role: String(a.roles.get('Org Admin')) })).statusCode).toBe(200);
  });

  it('ignores mass-assigned organization and is_superuser on oneself, and refuses the role in the same request', async () => {
    const admin = a.users.admin;
    const withRole = await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { organization: b.id, is_superuser: true, role: 'Salesperson' });
    expectError(withRole, 403, 'self_role_change');
    const without = await call('PATCH', `/api/auth/users/${admin.id}/`, admin.token, { organization: b.id, is_superuser: true, first_name: 'Adminna' });
    expect(without.statusCode).toBe(200);
    expect(without.json()).toMatchObject({ is_superuser: false, organization: Number(a.id), first_name: 'Adminna' });
    expect(await userRow(admin.id)).toMatchObject({ is_superuser: false, first_name: 'Adminna' });
    expect(await memberships(admin.id)).toEqual([{ organization_id: a.id, role_name: 'Org Admin', is_active: true }]);
    // Still an Org Admin, not a Super Admin: another organisation stays invisible.
    expectError(await call('GET', `/api/auth/users/${b.users.admin.id}/`, admin.token), 404);
  });

  it('deactivating through PATCH is_active=false revokes that user\'s sessions at once', async () => {
    const target = await freshUser(a);
    expect((await call('GET', '/api/auth/profile/', target.token)).statusCode).toBe(200);
    const res = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { is_active: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ is_active: false, status: 'inactive' });
    expectError(await call('GET', '/api/auth/profile/', target.token), 401);
    const open = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM auth_sessions WHERE user_id = ${target.id} AND revoked_at IS NULL`);
    expect(open[0]!.n).toBe(0);
    // Reactivation does not revive the old session; a new login works.
    const back = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { is_active: true });
    expect(back.json()).toMatchObject({ is_active: true, status: 'active' });
    expect((await memberships(target.id))[0]!.is_active).toBe(true);
    expectError(await call('GET', '/api/auth/profile/', target.token), 401);
    const again = await login(t, target.email);
    expect((await call('GET', '/api/auth/profile/', again.token)).statusCode).toBe(200);
  });

  it('lets a Super Admin update a user of any organisation with the manage-admins form', async () => {
    const target = await freshUser(b, 'Org Admin');
    const res = await call('PUT', `/api/auth/users/${target.id}/`, su.token, { first_name: 'Bea', last_name: 'Boss', email: target.email, organization: b.id, is_active: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ first_name: 'Bea', last_name: 'Boss', organization: Number(b.id) });
    expect((await userRow(target.id))!.first_name).toBe('Bea');
    const audit = (await auditRows(t, 'user', target.id)).find((r) => r.action === 'update');
    expect(audit).toMatchObject({ actor_id: dbId(su.id), organization_id: b.id, request_id: res.headers['x-request-id'] });
  });
});

describe('DELETE /api/auth/users/:id/ (deactivation)', () => {
  it('requires a token', async () => {
    expectError(await call('DELETE', `/api/auth/users/${a.users.member.id}/`), 401);
    expect((await userRow(a.users.member.id))!.is_active).toBe(true);
  });

  it('is refused to roles without users:delete', async () => {
    for (const who of [a.users.sales, a.users.supervisor, a.users.member]) {
      expectError(await call('DELETE', `/api/auth/users/${a.users.lead.id}/`, who.token), 403);
    }
    expect((await userRow(a.users.lead.id))!.is_active).toBe(true);
  });

  it("deactivates the user: their existing opaque token and JWT answer 401 at once and login stops working", async () => {
    const target = await freshUser(a);
    expect((await call('GET', '/api/auth/profile/', target.token)).statusCode).toBe(200);
    const res = await call('DELETE', `/api/auth/users/${target.id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().message).toEqual(expect.any(String));
    expect(await userRow(target.id)).toMatchObject({ is_active: false, status: 'inactive' });
    expect((await memberships(target.id))[0]).toMatchObject({ organization_id: a.id, is_active: false });
    const sessions = await q<{ revoked_at: string | null }>(sql`SELECT revoked_at FROM auth_sessions WHERE user_id = ${target.id}`);
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    expectError(await call('GET', '/api/auth/profile/', target.token), 401);
    expectError(await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: { authorization: `Bearer ${target.access}` } }), 401);
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: target.email, password: PASSWORD } });
    expect(again.statusCode).not.toBe(200);
    expect(JSON.stringify(again.json())).not.toMatch(/"token":"/);
    const audit = (await auditRows(t, 'user', target.id)).find((r) => r.action === 'deactivate');
    expect(audit).toMatchObject({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'] });
    // The list still shows them, as inactive.
    const list = await call('GET', `/api/auth/users/?search=${encodeURIComponent(target.email)}`, a.users.admin.token);
    expect(list.json().results).toEqual([expect.objectContaining({ id: Number(target.id), is_active: false })]);
  });

  it('refuses self-deactivation with 400', async () => {
    expectError(await call('DELETE', `/api/auth/users/${a.users.admin.id}/`, a.users.admin.token), 400);
    expect((await userRow(a.users.admin.id))!.is_active).toBe(true);
    expect((await call('GET', '/api/auth/profile/', a.users.admin.token)).statusCode).toBe(200);
  });

  it('answers 404 for a user of another organisation, unknown and malformed ids', async () => {
    for (const id of [b.users.member.id, UNKNOWN, 'zzz', ...MALFORMED]) {
      expectError(await call('DELETE', `/api/auth/users/${id}/`, a.users.admin.token), 404, 'not_found');
    }
    expect((await userRow(b.users.member.id))!.is_active).toBe(true);
    expect((await call('GET', '/api/auth/profile/', b.users.member.token)).statusCode).toBe(200);
  });

  it('lets a Super Admin deactivate a user of any organisation', async () => {
    const target = await freshUser(b, 'Team Member');
    const res = await call('DELETE', `/api/auth/users/${target.id}/`, su.token);
    expect(res.statusCode).toBe(200);
    expect((await userRow(target.id))!.is_active).toBe(false);
    expectError(await call('GET', '/api/auth/profile/', target.token), 401);
  });
});

describe('GET/PUT/PATCH /api/auth/profile/ and /api/auth/user/', () => {
  it('requires a token', async () => {
    for (const url of ['/api/auth/profile/', '/api/auth/user/']) {
      expectError(await call('GET', url), 401);
      expectError(await call('PATCH', url, undefined, { first_name: 'X' }), 401);
    }
  });

  it("answers the caller's own profile with the fields the client reads", async () => {
    for (const url of ['/api/auth/profile/', '/api/auth/user/']) {
      const res = await call('GET', url, a.users.member.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: Number(a.users.member.id), email: a.users.member.email, organization: Number(a.id), role: { name: 'Team Member' }, profile: { profile_picture: null } });
      for (const f of ['first_name', 'last_name', 'phoneNumber', 'contact_number', 'address']) expect(res.json()).toHaveProperty(f);
    }
    const root = await call('GET', '/api/auth/profile/', su.token);
    expect(root.statusCode).toBe(200);
    expect(root.json()).toMatchObject({ id: Number(su.id), is_superuser: true, user_type: 'super_admin' });
  });

  it('changes only personal fields: role, is_superuser, organization and is_active are ignored', async () => {
    const me = await freshUser(a, 'Team Member');
    const res = await call('PATCH', '/api/auth/profile/', me.token, {
      first_name: 'Pat',
      last_name: 'Profile',
      phoneNumber: '+977-+977-9812345678',
      address: 'Kathmandu',
      role: 'Org Admin',
      is_superuser: true,
      organization: b.id,
      is_active: false,
      must_change_password: true,
      sales_target: '999999',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ first_name: 'Pat', last_name: 'Profile', phoneNumber: '+977-9812345678', address: 'Kathmandu', role: { name: 'Team Member' }, is_superuser: false, organization: Number(a.id), is_active: true });
    expect(await userRow(me.id)).toMatchObject({ first_name: 'Pat', contact_number: '+977-9812345678', is_superuser: false, is_active: true, must_change_password: false, sales_target: '0.00' });
    expect(await memberships(me.id)).toEqual([{ organization_id: a.id, role_name: 'Team Member', is_active: true }]);
    // Still only a Team Member.
    expectError(await call('GET', '/api/auth/users/', me.token), 403);
    const audit = (await auditRows(t, 'user', me.id)).find((r) => r.action === 'profile_update');
    expect(audit).toMatchObject({ actor_id: me.id, organization_id: a.id, request_id: res.headers['x-request-id'] });

    const put = await call('PUT', '/api/auth/user/', me.token, { first_name: 'Patricia', contact_number: '+1-5551234567' });
    expect(put.statusCode).toBe(200);
    expect(await userRow(me.id)).toMatchObject({ first_name: 'Patricia', contact_number: '+1-5551234567' });
  });

  it('changes the e-mail, and refuses one in use (in any organisation) with 409 email', async () => {
    const me = await freshUser(a, 'Team Member');
    const fresh = uniqueEmail('moved');
    const ok = await call('PATCH', '/api/auth/profile/', me.token, { email: fresh.toUpperCase() });
    expect(ok.statusCode).toBe(200);
    expect((await userRow(me.id))!.email).toBe(fresh);
    for (const email of [a.users.admin.email, b.users.admin.email]) {
      const res = await call('PATCH', '/api/auth/profile/', me.token, { email });
      expect(expectError(res, 409, 'duplicate').email).toEqual([expect.any(String)]);
    }
    expect((await userRow(me.id))!.email).toBe(fresh);
  });

  it('answers bad input with 400 field errors', async () => {
    const bad = await call('PATCH', '/api/auth/profile/', a.users.member.token, { email: 'nope', first_name: 'x'.repeat(200) });
    const body = expectError(bad, 400);
    expect(body.email).toEqual([expect.any(String)]);
    expect(body.first_name).toEqual([expect.any(String)]);
  });
});

describe('POST /api/auth/user/set-sales-target/', () => {
  it('requires a token', async () => {
    expectError(await call('POST', '/api/auth/user/set-sales-target/', undefined, { sales_target: 5000 }), 401);
  });

  it('stores the decimal and answers it as "5000.00"', async () => {
    const me = await freshUser(a);
    const res = await call('POST', '/api/auth/user/set-sales-target/', me.token, { sales_target: 5000 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: expect.any(String), sales_target: '5000.00', user: { id: Number(me.id), sales_target: '5000.00' } });
    expect((await userRow(me.id))!.sales_target).toBe('5000.00');
    const audit = (await auditRows(t, 'user', me.id)).find((r) => r.action === 'set_sales_target');
    expect(audit).toMatchObject({ actor_id: me.id, organization_id: a.id, request_id: res.headers['x-request-id'] });

  });

  it('lets a salesperson set a first target but not change it; managers change their own (issue 13, defect 6)', async () => {
    const me = await freshUser(a);
    expect((await call('POST', '/api/auth/user/set-sales-target/', me.token, { sales_target: 5000 })).statusCode).toBe(200);
    for (const lower of [1, 0]) {
      const res = await call('POST', '/api/auth/users/set-sales-target/', me.token, { sales_target: lower });
      expectError(res, 403, 'permission_denied');
    }
    expect((await userRow(me.id))!.sales_target).toBe('5000.00');

    for (const role of ['Org Admin', 'Supervisor', 'Team Lead']) {
      const manager = await freshUser(a, role);
      for (const target of ['1000', '1234.5']) {
        const res = await call('POST', '/api/auth/users/set-sales-target/', manager.token, { sales_target: target });
        expect(res.statusCode, `${role} ${res.body}`).toBe(200);
      }
      expect((await userRow(manager.id))!.sales_target, role).toBe('1234.50');
    }
    const lead = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
      WHERE rp.role_id = ${a.roles.get('Team Lead')!} AND p.code = 'users:set_sales_target'`);
    expect(lead[0]!.n).toBe(1);
  });

  it('answers bad amounts with 400 sales_target and keeps the old value', async () => {
    const me = await freshUser(a);
    for (const payload of [{ sales_target: 'lots' }, { sales_target: -5 }, { sales_target: '1.234' }, {}]) {
      const res = await call('POST', '/api/auth/user/set-sales-target/', me.token, payload);
      expect(expectError(res, 400).sales_target, JSON.stringify(payload)).toEqual([expect.any(String)]);
    }
    expect((await userRow(me.id))!.sales_target).toBe('0.00');
  });
});
