// Integer ids (docs/decisions.md, 2026-12-03) as the real web client uses them (issue 12): it
// parseInts ids into JSON integers, its selects send numeric strings, and it compares ids it got
// from different responses with ===. Ids are guessable now, so the tenant matrix is proven over
// every id another organisation owns, with a Super Admin as the control that those ids exist.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { PASSWORD, auth, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  a = await createOrg(t, 'Ints Alpha');
  b = await createOrg(t, 'Ints Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, headers: { ...(token ? auth(token) : {}), ...headers }, ...(payload ? { payload } : {}) });
const q = <T = Record<string, unknown>>(query: SQL) => t.db.system((tx) => rows<T>(tx, query));
const uniqueEmail = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}@example.test`;
const STRONG = 'Granite-Falcon-73!';

/** Asserts that a response id is a JSON integer (not a string, not a float) and answers it. */
function wireId(value: unknown): number {
  expect(Number.isSafeInteger(value), `${JSON.stringify(value)} is a JSON integer`).toBe(true);
  expect(value as number).toBeGreaterThan(0);
  return value as number;
}

async function membershipsOf(userId: string | number) {
  return q<{ organization_id: string; role_name: string | null }>(
    sql`SELECT m.organization_id, r.name AS role_name FROM memberships m LEFT JOIN roles r ON r.id = m.role_id WHERE m.user_id = ${String(userId)} ORDER BY m.created_at`,
  );
}

/** The raw login response, as the web client stores it. */
async function loginBody(email: string) {
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email, password: PASSWORD } });
  expect(res.statusCode).toBe(200);
  return res.json() as { token: string; user: { id: number; organization: number | null; organizationId: number | null; role: { id: number | null; name: string } | null } };
}

describe('POST /api/auth/users/ with the organisation as the web client sends it', () => {
  it("Super Admin's \"Add admin\": organization: parseInt(orgId), a JSON integer, creates the Org Admin in that organisation", async () => {
    // The organisation select is filled from GET /api/organizations/; the form parseInts its value.
    const orgs = await call('GET', '/api/organizations/?page_size=1000', su.token);
    const option = orgs.json().results.find((o: { name: string }) => o.name === b.name);
    const organization = parseInt(String(wireId(option.id)), 10);
    const email = uniqueEmail('add-admin');
    const res = await call('POST', '/api/auth/users/', su.token, { first_name: 'Ada', last_name: 'Admin', email, organization, is_active: true });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    wireId(body.id);
    expect(body.organization).toBe(organization);
    expect(body).toMatchObject({ organization_name: b.name, role: { name: 'Org Admin' }, user_type: 'org_admin' });
    expect(await membershipsOf(body.id)).toEqual([{ organization_id: b.id, role_name: 'Org Admin' }]);
    // The client's list filter for that organisation finds the new admin with ===.
    const list = await call('GET', `/api/auth/users/?organization=${organization}&page_size=1000`, su.token);
    expect(list.json().results.filter((u: { organization: number }) => u.organization === organization).map((u: { id: number }) => u.id)).toContain(body.id);
  });

  it('the Super Admin form with the organisation as a numeric string does the same', async () => {
    const email = uniqueEmail('add-admin-str');
    const res = await call('POST', '/api/auth/users/', su.token, { first_name: 'Sam', last_name: 'String', email, organization: String(b.id), is_active: true });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().organization).toBe(Number(b.id));
    expect(await membershipsOf(res.json().id)).toEqual([{ organization_id: b.id, role_name: 'Org Admin' }]);
  });

  it("an Org Admin's user form sends its organisation as a numeric string (or an integer) and the role id from the select: the user lands there", async () => {
    const session = await loginBody(a.users.admin.email);
    for (const organization of [String(session.user.organization), session.user.organization]) {
      const email = uniqueEmail('form');
      const res = await call('POST', '/api/auth/users/', session.token, {
        first_name: 'Form', last_name: 'User', email, password: STRONG, contact_number: '+977-9812345678',
        role: String(a.roles.get('Verifier')), organization, teams: [],
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().organization).toBe(session.user.organization);
      expect(res.json().role).toEqual({ id: Number(a.roles.get('Verifier')), name: 'Verifier' });
      expect(await membershipsOf(res.json().id)).toEqual([{ organization_id: a.id, role_name: 'Verifier' }]);
    }
  });

  it("an Org Admin naming another organisation's integer id still creates the user in their own", async () => {
    const email = uniqueEmail('elsewhere');
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: 'Salesperson', organization: Number(b.id) });
    expect(res.statusCode).toBe(201);
    expect(res.json().organization).toBe(Number(a.id));
    expect(await membershipsOf(res.json().id)).toEqual([{ organization_id: a.id, role_name: 'Salesperson' }]);
  });

  it('accepts team ids as integers or strings (the field is ignored, never a 400)', async () => {
    for (const teams of [[1, 2], ['3']]) {
      const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email: uniqueEmail('teams'), password: STRONG, role: 'Team Member', teams });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
});

describe('PATCH /api/permissions/roles/{parseInt(id)}/ (role rename)', () => {
  it('renames the role named by the integer id, answering the same integer id', async () => {
    const created = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: `Draft ${randomBytes(3).toString('hex')}` });
    expect(created.statusCode).toBe(201);
    // The permission page reads the list, then parseInts the id of the role being renamed.
    const list = await call('GET', '/api/permissions/roles/', a.users.admin.token);
    const role = list.json().find((r: { id: number }) => r.id === created.json().id);
    const id = parseInt(String(wireId(role.id)), 10);
    const name = `Renamed ${randomBytes(3).toString('hex')}`;
    const res = await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { name });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, name, organization: Number(a.id) });
    const [row] = await q<{ name: string }>(sql`SELECT name FROM roles WHERE id = ${String(id)}`);
    expect(row!.name).toBe(name);
    const again = await call('GET', '/api/permissions/roles/', a.users.admin.token);
    expect(again.json().find((r: { id: number }) => r.id === id).name).toBe(name);
  });

  it("answers 404 to the same rename of another organisation's role, by its integer id", async () => {
    for (const [name, roleId] of b.roles) {
      const res = await call('PATCH', `/api/permissions/roles/${parseInt(roleId, 10)}/`, a.users.admin.token, { name: 'Taken' });
      expect(res.statusCode, name).toBe(404);
      const [row] = await q<{ name: string }>(sql`SELECT name FROM roles WHERE id = ${roleId}`);
      expect(row!.name).toBe(name);
    }
  });
});

describe('ids the client compares with ===', () => {
  it('login user.id / user.organization and the users list [].id / [].organization are the same JSON integers', async () => {
    for (const who of [a.users.admin, a.users.supervisor]) {
      const session = await loginBody(who.email);
      const me = wireId(session.user.id);
      const org = wireId(session.user.organization);
      expect(session.user.organizationId).toBe(org);
      const [row] = await q<{ id: string }>(sql`SELECT id FROM users WHERE email = ${who.email}`);
      expect(me).toBe(Number(row!.id));
      expect(org).toBe(Number(a.id));

      const list = await call('GET', '/api/auth/users/', session.token);
      expect(list.statusCode).toBe(200);
      const users = list.json().results as { id: number; organization: number; role: { id: number; name: string } }[];
      for (const u of users) wireId(u.id);
      // "Is this row me?" and "is this user in my organisation?"
      expect(users.filter((u) => u.id === me)).toHaveLength(1);
      expect(users.length).toBeGreaterThanOrEqual(6);
      expect(users.every((u) => u.organization === org)).toBe(true);
      // The profile answers the same id.
      expect((await call('GET', '/api/auth/profile/', session.token)).json().id).toBe(me);
    }
  });

  it("a user's role.id equals the id of that role in the roles list", async () => {
    const users = (await call('GET', '/api/auth/users/', a.users.admin.token)).json().results as { email: string; role: { id: number; name: string } }[];
    const roles = (await call('GET', '/api/permissions/roles/', a.users.admin.token)).json() as { id: number; name: string }[];
    const lead = users.find((u) => u.email === a.users.lead.email)!;
    wireId(lead.role.id);
    expect(roles.find((r) => r.id === lead.role.id)?.name).toBe('Team Lead');
  });
});

describe("the tenant matrix holds over another organisation's guessable ids", () => {
  let foreignUsers: string[];
  let foreignRoles: string[];

  beforeAll(async () => {
    foreignUsers = (await q<{ user_id: string }>(sql`SELECT user_id FROM memberships WHERE organization_id = ${b.id} ORDER BY user_id`)).map((r) => r.user_id);
    foreignRoles = (await q<{ id: string }>(sql`SELECT id FROM roles WHERE organization_id = ${b.id} ORDER BY id`)).map((r) => r.id);
    expect(foreignUsers.length).toBeGreaterThanOrEqual(6);
    expect(foreignRoles).toHaveLength(6);
  });

  const snapshot = () =>
    Promise.all([
      q(sql`SELECT u.id, u.first_name, u.email, u.is_active, m.role_id, m.is_active AS member FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = ${b.id} ORDER BY u.id`),
      q(sql`SELECT r.id, r.name, (SELECT count(*)::int FROM role_permissions rp WHERE rp.role_id = r.id) AS n FROM roles r WHERE r.organization_id = ${b.id} ORDER BY r.id`),
      q(sql`SELECT name, description, is_active FROM organizations WHERE id = ${b.id}`),
    ]);

  it('the control: a Super Admin reaches every one of those ids', async () => {
    for (const id of foreignUsers) expect((await call('GET', `/api/auth/users/${id}/`, su.token)).statusCode, `user ${id}`).toBe(200);
    const roles = await call('GET', `/api/permissions/roles/?organization=${b.id}`, su.token);
    expect(roles.json().map((r: { id: number }) => String(wireId(r.id))).sort()).toEqual([...foreignRoles].sort());
    expect((await call('GET', `/api/organizations/${Number(b.id)}/`, su.token)).statusCode).toBe(200);
  });

  it('users: 404 on GET, PUT, PATCH and DELETE of every foreign user, for an Org Admin and a Supervisor', async () => {
    const before = await snapshot();
    for (const who of [a.users.admin, a.users.supervisor]) {
      for (const id of foreignUsers) {
        expect((await call('GET', `/api/auth/users/${id}/`, who.token)).statusCode, `GET user ${id}`).toBe(404);
        for (const method of ['PUT', 'PATCH'] as const) {
          const res = await call(method, `/api/auth/users/${id}/`, who.token, { first_name: 'Stolen', role: String(a.roles.get('Org Admin')), is_active: false });
          expect([403, 404], `${method} user ${id}`).toContain(res.statusCode);
          if (who === a.users.admin) expect(res.statusCode, `${method} user ${id}`).toBe(404);
        }
        const del = await call('DELETE', `/api/auth/users/${id}/`, who.token);
        expect([403, 404], `DELETE user ${id}`).toContain(del.statusCode);
        if (who === a.users.admin) expect(del.statusCode, `DELETE user ${id}`).toBe(404);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('users: the list never shows them, whatever the query or header names', async () => {
    const foreign = new Set(foreignUsers.map(Number));
    for (const url of ['/api/auth/users/?page_size=1000', `/api/auth/users/?organization=${b.id}&page_size=1000`, `/api/auth/users/?search=${encodeURIComponent(b.users.sales.email)}`]) {
      const res = await call('GET', url, a.users.admin.token, undefined, { 'x-organization-id': b.id });
      if (res.statusCode !== 200) {
        expect(res.statusCode, url).toBe(404);
        continue;
      }
      for (const u of res.json().results as { id: number; organization: number }[]) {
        expect(foreign.has(u.id), `${url}: user ${u.id}`).toBe(false);
        expect(u.organization).toBe(Number(a.id));
      }
    }
  });

  it('roles: 404 on GET, PUT, PATCH and DELETE of every foreign role, and the list and ?organization= hide them', async () => {
    const before = await snapshot();
    for (const id of foreignRoles) {
      expect((await call('GET', `/api/permissions/roles/${id}/`, a.users.admin.token)).statusCode, `GET role ${id}`).toBe(404);
      expect((await call('PUT', `/api/permissions/roles/${id}/`, a.users.admin.token, { name: 'Taken', permissions: [] })).statusCode, `PUT role ${id}`).toBe(404);
      expect((await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { permissions: [] })).statusCode, `PATCH role ${id}`).toBe(404);
      expect((await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token)).statusCode, `DELETE role ${id}`).toBe(404);
    }
    const list = await call('GET', '/api/permissions/roles/', a.users.admin.token);
    for (const r of list.json() as { id: number }[]) expect(foreignRoles).not.toContain(String(r.id));
    expect((await call('GET', `/api/permissions/roles/?organization=${b.id}`, a.users.admin.token)).statusCode).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it("ids in bodies: another organisation's users and roles, as JSON integers, are refused as unknown", async () => {
    const before = await snapshot();
    const target = a.users.member;
    // Role of another organisation on create and on update.
    for (const roleId of foreignRoles) {
      const email = uniqueEmail('foreign-role');
      const created = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: Number(roleId) });
      expect(created.statusCode, `create with role ${roleId}`).toBe(400);
      expect(created.json().role).toEqual([expect.any(String)]);
      expect(await q(sql`SELECT 1 FROM users WHERE email = ${email}`)).toEqual([]);
      const updated = await call('PATCH', `/api/auth/users/${target.id}/`, a.users.admin.token, { role: Number(roleId) });
      expect(updated.statusCode, `update to role ${roleId}`).toBe(400);
    }
    expect((await membershipsOf(target.id))[0]!.role_name).toBe('Team Member');
    // Assignment of foreign users, or of foreign roles to own users: every one fails.
    const assignments = [
      ...foreignUsers.map((id) => ({ user_id: Number(id), role_id: Number(a.roles.get('Team Member')) })),
      ...foreignRoles.map((id) => ({ user_id: Number(target.id), role_id: Number(id) })),
    ];
    const res = await call('POST', '/api/permissions/roles/bulk-assign/', a.users.admin.token, { assignments });
    expect(res.statusCode).toBe(200);
    expect(res.json().summary).toEqual({ total: assignments.length, successful: 0, failed: assignments.length });
    expect((await membershipsOf(target.id))[0]!.role_name).toBe('Team Member');
    expect(await snapshot()).toEqual(before);
  });

  it('organizations: 404 on GET, PUT, PATCH and DELETE of the other organisation by its integer id', async () => {
    const before = await snapshot();
    for (const who of [a.users.admin, a.users.sales, a.users.member]) {
      for (const id of [b.id, String(Number(b.id))]) {
        expect((await call('GET', `/api/organizations/${id}/`, who.token)).statusCode).toBe(404);
        expect((await call('PUT', `/api/organizations/${id}/`, who.token, { name: 'Taken', description: 'x' })).statusCode).toBe(404);
        expect((await call('PATCH', `/api/organizations/${id}/`, who.token, { description: 'x', is_active: false })).statusCode).toBe(404);
        expect((await call('DELETE', `/api/organizations/${id}/`, who.token)).statusCode).toBe(404);
      }
    }
    // Naming an organisation one does not belong to is refused outright (issue 14: a member's header is honoured only among their memberships).
    const named = await call('GET', '/api/organizations/', a.users.admin.token, undefined, { 'x-organization-id': b.id });
    expect(named.statusCode).toBe(404);
    const list = await call('GET', '/api/organizations/', a.users.admin.token);
    expect(list.json().results.map((o: { id: number }) => o.id)).toEqual([Number(a.id)]);
    expect(await snapshot()).toEqual(before);
  });

  it('audit: the other organisation\'s entity and actor ids find nothing', async () => {
    // The control: the other organisation's own log does hold rows for them.
    expect((await q(sql`SELECT 1 FROM audit_log WHERE organization_id = ${b.id} AND entity = 'user' AND actor_id IS NOT NULL`)).length).toBeGreaterThan(0);
    const entities: [string, string][] = [...foreignUsers.map((id): [string, string] => ['user', id]), ...foreignRoles.map((id): [string, string] => ['role', id])];
    for (const [entity, id] of entities) {
      expect((await call('GET', `/api/audit/logs/?entity=${entity}&entity_id=${id}`, a.users.admin.token, undefined, { 'x-organization-id': b.id })).statusCode).toBe(404);
      const byEntity = await call('GET', `/api/audit/logs/?entity=${entity}&entity_id=${id}&organization=${b.id}`, a.users.admin.token);
      expect(byEntity.statusCode).toBe(200);
      expect(byEntity.json(), `${entity} ${id}`).toMatchObject({ count: 0, results: [] });
    }
    for (const id of foreignUsers) {
      const byActor = await call('GET', `/api/audit/logs/?actor=${id}`, a.users.admin.token);
      expect(byActor.json()).toMatchObject({ count: 0, results: [] });
    }
  });

  it('and the other way round: the other organisation sees none of this one', async () => {
    const own = (await q<{ user_id: string }>(sql`SELECT user_id FROM memberships WHERE organization_id = ${a.id}`)).map((r) => r.user_id);
    for (const id of own) expect((await call('GET', `/api/auth/users/${id}/`, b.users.admin.token)).statusCode, `user ${id}`).toBe(404);
    for (const id of a.roles.values()) expect((await call('GET', `/api/permissions/roles/${id}/`, b.users.admin.token)).statusCode, `role ${id}`).toBe(404);
    expect((await call('GET', `/api/organizations/${a.id}/`, b.users.admin.token)).statusCode).toBe(404);
  });
});
