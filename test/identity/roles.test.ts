// Roles and permissions through HTTP: /api/permissions/all/, /api/permissions/roles/… and role
// assignment. Checked against the database: role rows, their permissions, memberships, audit.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../src/core/db/database.ts';
import { DEFAULT_ROLES, PERMISSIONS } from '../../src/core/access/catalog.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auditRows, auth, createOrg, createSuperAdmin, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { UNKNOWN_ID as UNKNOWN, MALFORMED_IDS as MALFORMED, dbId, wireId } from '../support/ids.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;
let permId: Map<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  a = await createOrg(t, 'Roles Alpha');
  b = await createOrg(t, 'Roles Beta');
  su = await createSuperAdmin(t);
  permId = new Map((await q<{ id: string; code: string }>(sql`SELECT id, code FROM permissions`)).map((p) => [p.code, p.id]));
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: object) =>
  t.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload ? { payload } : {}) });
function q<T = Record<string, unknown>>(query: SQL) {
  return t.db.system((tx) => rows<T>(tx, query));
}
const tag = () => randomBytes(3).toString('hex');

function expectError(res: { statusCode: number; json(): Record<string, unknown>; headers: Record<string, unknown> }, status: number, code?: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.detail).toEqual(expect.any(String));
  expect(body.message).toBe(body.detail);
  expect(body.request_id).toBe(res.headers['x-request-id']);
  if (code) expect(body.code).toBe(code);
  return body;
}

async function roleRow(id: string) {
  const [r] = await q<{ name: string; organization_id: string; is_default: boolean }>(sql`SELECT name, organization_id, is_default FROM roles WHERE id = ${id}`);
  return r;
}
async function roleCodes(id: string) {
  const list = await q<{ code: string }>(sql`SELECT p.code FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id WHERE rp.role_id = ${id} ORDER BY p.code`);
  return list.map((r) => r.code);
}
async function roleOf(userId: string, orgId: string) {
  const [m] = await q<{ name: string | null }>(sql`SELECT r.name FROM memberships m LEFT JOIN roles r ON r.id = m.role_id WHERE m.user_id = ${userId} AND m.organization_id = ${orgId}`);
  return m?.name;
}
async function createRole(org: TestOrg, name: string, permissions: string[] = []) {
  const res = await call('POST', '/api/permissions/roles/', org.users.admin.token, { name, permissions });
  expect(res.statusCode).toBe(201);
  return wireId(res.json().id);
}
async function freshUser(org: TestOrg, role: string) {
  const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get(role)!, email: `${role.replace(' ', '').toLowerCase()}-${tag()}@example.test` });
  // The database's id (a decimal string), not the login response's JSON integer.
  return { ...(await login(t, u.email)), id: u.id };
}

describe('GET /api/permissions/all/', () => {
  it('requires a token', async () => {
    expectError(await call('GET', '/api/permissions/all/'), 401, 'not_authenticated');
  });

  it('is an object grouped by category, each item {id,name,codename,category}, matching the database', async () => {
    const res = await call('GET', '/api/permissions/all/', a.users.admin.token);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, { id: number; name: string; codename: string; category: string }[]>;
    expect(Array.isArray(body)).toBe(false);
    expect(Object.keys(body).sort()).toEqual([...new Set(PERMISSIONS.map((p) => p.category))].sort());
    const items = Object.entries(body).flatMap(([category, list]) => {
      for (const item of list) {
        expect(Object.keys(item).sort()).toEqual(['category', 'codename', 'id', 'name']);
        expect(item.category).toBe(category);
        expect(item.codename).toMatch(/^[a-z_]+:[a-z_]+$/);
        wireId(item.id);
      }
      return list;
    });
    const db = await q<{ id: string; code: string }>(sql`SELECT id, code FROM permissions`);
    expect(items).toHaveLength(db.length);
    for (const p of db) expect(items.find((i) => i.id === Number(p.id))?.codename).toBe(p.code);
    expect(body.Deals!.map((p) => p.codename)).toContain('deals:view_all');
  });

  it('is the same catalogue for every signed-in user (it names no organisation data)', async () => {
    const admin = await call('GET', '/api/permissions/all/', a.users.admin.token);
    const member = await call('GET', '/api/permissions/all/', b.users.member.token);
    expect(member.statusCode).toBe(200);
    expect(member.json()).toEqual(admin.json());
  });
});

describe('GET /api/permissions/roles/', () => {
  it('requires a token', async () => {
    expectError(await call('GET', '/api/permissions/roles/'), 401);
  });

  it('is refused to roles that neither view/manage roles nor create users', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.verifier, a.users.lead, a.users.supervisor]) {
      expectError(await call('GET', '/api/permissions/roles/', who.token), 403, 'permission_denied');
    }
  });

  it('is a plain array of the organisation\'s roles with permission ids, matching the database', async () => {
    const res = await call('GET', '/api/permissions/roles/', a.users.admin.token);
    expect(res.statusCode).toBe(200);
    const list = res.json() as { id: number; name: string; permissions: number[]; organization: number; organization_name: string; is_default: boolean; user_count: number }[];
    expect(Array.isArray(list)).toBe(true);
    const dbRoles = await q<{ id: string }>(sql`SELECT id FROM roles WHERE organization_id = ${a.id}`);
    expect(list.map((r) => wireId(r.id)).sort()).toEqual(dbRoles.map((r) => r.id).sort());
    expect(list.map((r) => r.name)).toEqual(expect.arrayContaining(DEFAULT_ROLES.map((r) => r.name)));
    expect(list.map((r) => r.name)).not.toContain('Super Admin');
    for (const role of list) {
      expect(role).toMatchObject({ organization: Number(a.id), organization_name: a.name });
      const ids = (await q<{ permission_id: string }>(sql`SELECT permission_id FROM role_permissions WHERE role_id = ${dbId(role.id)}`)).map((r) => r.permission_id);
      expect(role.permissions.map((p: unknown) => wireId(p)).sort()).toEqual(ids.sort());
    }
    const sales = list.find((r) => r.name === 'Salesperson')!;
    expect(sales).toMatchObject({ is_default: true, user_count: 1 });
    for (const foreign of b.roles.values()) expect(list.map((r) => r.id)).not.toContain(Number(foreign));
  });

  it('accepts the own organisation in ?organization= and answers 404 for another or a malformed one', async () => {
    const own = await call('GET', `/api/permissions/roles/?organization=${a.id}`, a.users.admin.token);
    expect(own.statusCode).toBe(200);
    expect(own.json().length).toBeGreaterThanOrEqual(6);
    for (const org of [b.id, 'not-an-id', UNKNOWN]) {
      expectError(await call('GET', `/api/permissions/roles/?organization=${org}`, a.users.admin.token), 404, 'not_found');
    }
  });

  it("lets a Super Admin read any organisation's roles", async () => {
    const res = await call('GET', `/api/permissions/roles/?organization=${b.id}`, su.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().map((r: { id: number }) => wireId(r.id)).sort()).toEqual([...b.roles.values()].sort());
    expect(await call('GET', '/api/permissions/roles/', su.token).then((r) => r.json())).toEqual([]);
    expectError(await call('GET', '/api/permissions/roles/?organization=bad', su.token), 404);
  });
});

describe('POST /api/permissions/roles/', () => {
  it('requires a token', async () => {
    const name = `Anon ${tag()}`;
    expectError(await call('POST', '/api/permissions/roles/', undefined, { name }), 401);
    expect(await q(sql`SELECT 1 FROM roles WHERE name = ${name}`)).toEqual([]);
  });

  it('is refused without roles:manage', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.supervisor, a.users.verifier]) {
      const name = `Nope ${tag()}`;
      expectError(await call('POST', '/api/permissions/roles/', who.token, { name }), 403, 'permission_denied');
      expect(await q(sql`SELECT 1 FROM roles WHERE name = ${name}`)).toEqual([]);
    }
  });

  it('creates a custom role from permission ids, codes and old codenames, and audits it', async () => {
    const name = `Auditor ${tag()}`;
    const res = await call('POST', '/api/permissions/roles/', a.users.admin.token, {
      name,
      description: 'Reads the audit log',
      permissions: [permId.get('audit:view'), 'users:view', 'view_all_clients'],
    });
    expect(res.statusCode).toBe(201);
    const role = res.json();
    const id = wireId(role.id);
    expect(role).toMatchObject({ name, description: 'Reads the audit log', organization: Number(a.id), organization_name: a.name, is_default: false, user_count: 0 });
    expect(role.permissions.map((p: unknown) => wireId(p)).sort()).toEqual([permId.get('audit:view'), permId.get('users:view'), permId.get('clients:view_all')].sort());
    expect(await roleRow(id)).toEqual({ name, organization_id: a.id, is_default: false });
    expect(await roleCodes(id)).toEqual(['audit:view', 'clients:view_all', 'users:view']);
    const audit = await auditRows(t, 'role', id);
    expect(audit).toEqual([expect.objectContaining({ action: 'create', actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'] })]);
  });

  it('creates a role from a name alone, as the permission page does', async () => {
    const name = `Empty ${tag()}`;
    const res = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name, permissions: [] });
    expect(await roleCodes(wireId(res.json().id))).toEqual([]);
  });

  it('answers bad input with 400 field errors and creates nothing', async () => {
    const before = await q(sql`SELECT id FROM roles`);
    const cases: [object, string][] = [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'Super Admin' }, 'name'],
      [{ name: '  super ADMIN ' }, 'name'],
      [{ name: `Bad ${tag()}`, permissions: ['deals:fly'] }, 'permissions'],
      [{ name: `Bad ${tag()}`, permissions: [UNKNOWN] }, 'permissions'],
      [{ name: `Bad ${tag()}`, permissions: 'users:view' }, 'permissions'],
      [{ name: `Bad ${tag()}`, permissions: ['-'.repeat(36)] }, 'permissions'],
    ];
    for (const [payload, field] of cases) {
      const res = await call('POST', '/api/permissions/roles/', a.users.admin.token, payload);
      expect(expectError(res, 400)[field], JSON.stringify(payload)).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    expect(await q(sql`SELECT id FROM roles`)).toHaveLength(before.length);
  });

  it('refuses a duplicate name in the same organisation (any case) but allows it in another', async () => {
    const res = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: 'salesperson' });
    expect(res.statusCode).toBe(409);
    expect(res.json().name).toEqual([expect.any(String)]);
    const [n] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM roles WHERE organization_id = ${a.id} AND lower(name) = 'salesperson'`);
    expect(n!.n).toBe(1);
    const name = `Shared ${tag()}`;
    await createRole(a, name);
    await createRole(b, name);
  });
});

describe('GET /api/permissions/roles/:id/', () => {
  it('requires a token and roles:view/manage', async () => {
    const id = a.roles.get('Verifier')!;
    expectError(await call('GET', `/api/permissions/roles/${id}/`), 401);
    for (const who of [a.users.sales, a.users.member]) expectError(await call('GET', `/api/permissions/roles/${id}/`, who.token), 403);
  });

  it('answers a role of the organisation', async () => {
    const res = await call('GET', `/api/permissions/roles/${a.roles.get('Verifier')}/`, a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: Number(a.roles.get('Verifier')), name: 'Verifier', organization: Number(a.id), is_default: true });
    expect([...res.json().permission_codes].sort()).toEqual(await roleCodes(a.roles.get('Verifier')!));
  });

  it('answers 404 for a role of another organisation, an unknown id and a malformed id', async () => {
    for (const id of [...b.roles.values(), UNKNOWN, ...MALFORMED]) {
      expectError(await call('GET', `/api/permissions/roles/${id}/`, a.users.admin.token), 404, 'not_found');
    }
  });
});

describe('PUT/PATCH /api/permissions/roles/:id/', () => {
  it('requires a token and roles:manage', async () => {
    const id = await createRole(a, `Guarded ${tag()}`);
    expectError(await call('PATCH', `/api/permissions/roles/${id}/`, undefined, { name: 'Renamed' }), 401);
    for (const who of [a.users.sales, a.users.member, a.users.supervisor]) {
      expectError(await call('PATCH', `/api/permissions/roles/${id}/`, who.token, { permissions: [permId.get('users:view')] }), 403);
    }
    expect(await roleCodes(id)).toEqual([]);
  });

  it('renames a custom role and sets its permissions (one key per request, as the client does), auditing each', async () => {
    const id = await createRole(a, `Draft ${tag()}`);
    const name = `Reviewer ${tag()}`;
    const renamed = await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { name });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: Number(id), name });
    expect((await roleRow(id))!.name).toBe(name);

    const perms = [permId.get('deals:view_all')!, permId.get('payments:view')!];
    const set = await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { permissions: perms });
    expect(set.statusCode).toBe(200);
    expect(set.json().permissions.map((p: unknown) => wireId(p)).sort()).toEqual([...perms].sort());
    expect(await roleCodes(id)).toEqual(['deals:view_all', 'payments:view']);
    expect((await roleRow(id))!.name).toBe(name);

    const cleared = await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { permissions: [] });
    expect(cleared.statusCode).toBe(200);
    expect(await roleCodes(id)).toEqual([]);

    const put = await call('PUT', `/api/permissions/roles/${id}/`, a.users.admin.token, { name: `${name} II`, permissions: ['users:view'] });
    expect(put.statusCode).toBe(200);
    expect(await roleRow(id)).toMatchObject({ name: `${name} II` });
    expect(await roleCodes(id)).toEqual(['users:view']);

    const audit = (await auditRows(t, 'role', id)).filter((r) => r.action === 'update');
    expect(audit).toHaveLength(4);
    expect(audit[0]).toMatchObject({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: renamed.headers['x-request-id'] });
    expect(audit[1]).toMatchObject({ request_id: set.headers['x-request-id'], new_values: { permissions: ['deals:view_all', 'payments:view'] } });
  });

  it('keeps default role names, and refuses "Super Admin" as a name', async () => {
    const sales = a.roles.get('Salesperson')!;
    expect(expectError(await call('PATCH', `/api/permissions/roles/${sales}/`, a.users.admin.token, { name: 'Closers' }), 400).name).toEqual([expect.any(String)]);
    expect((await roleRow(sales))!.name).toBe('Salesperson');
    // Re-sending the same name is not a rename.
    expect((await call('PATCH', `/api/permissions/roles/${sales}/`, a.users.admin.token, { name: 'Salesperson' })).statusCode).toBe(200);

    const custom = await createRole(a, `Custom ${tag()}`);
    for (const name of ['Super Admin', 'SUPER ADMIN']) {
      expect(expectError(await call('PATCH', `/api/permissions/roles/${custom}/`, a.users.admin.token, { name }), 400).name).toEqual([expect.any(String)]);
    }
    expect((await roleRow(custom))!.name).toMatch(/^Custom /);
    expect(expectError(await call('PATCH', `/api/permissions/roles/${a.roles.get('Org Admin')}/`, a.users.admin.token, { name: 'Super Admin' }), 400).name).toBeDefined();
    expect((await roleRow(a.roles.get('Org Admin')!))!.name).toBe('Org Admin');
  });

  it('answers bad input with 400 field errors', async () => {
    const id = await createRole(a, `Strict ${tag()}`, ['users:view']);
    const cases: [Method, object, string][] = [
      ['PATCH', { permissions: ['nonsense'] }, 'permissions'],
      ['PATCH', { permissions: [UNKNOWN] }, 'permissions'],
      ['PATCH', { name: '' }, 'name'],
      ['PUT', { permissions: ['users:view'] }, 'name'],
    ];
    for (const [method, payload, field] of cases) {
      const res = await call(method, `/api/permissions/roles/${id}/`, a.users.admin.token, payload);
      expect(expectError(res, 400)[field], JSON.stringify(payload)).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    expect(await roleCodes(id)).toEqual(['users:view']);
  });

  it("answers 404 for another organisation's role and malformed ids, leaving the role untouched", async () => {
    const foreign = b.roles.get('Team Member')!;
    const before = await roleCodes(foreign);
    for (const method of ['PATCH', 'PUT'] as const) {
      expectError(await call(method, `/api/permissions/roles/${foreign}/`, a.users.admin.token, { name: 'Hijacked', permissions: [] }), 404, 'not_found');
    }
    expect(await roleCodes(foreign)).toEqual(before);
    expect((await roleRow(foreign))!.name).toBe('Team Member');
    for (const id of ['zzz', ...MALFORMED, UNKNOWN]) expectError(await call('PATCH', `/api/permissions/roles/${id}/`, a.users.admin.token, { permissions: [] }), 404);
  });

  it("takes effect on the next request of a user holding the role", async () => {
    const supervisor = a.roles.get('Supervisor')!;
    const original = await roleCodes(supervisor);
    expect((await call('GET', '/api/auth/users/', a.users.supervisor.token)).statusCode).toBe(200);
    const without = original.filter((c) => c !== 'users:view');
    const removed = await call('PATCH', `/api/permissions/roles/${supervisor}/`, a.users.admin.token, { permissions: without });
    expect(removed.statusCode).toBe(200);
    expect(await roleCodes(supervisor)).not.toContain('users:view');
    expectError(await call('GET', '/api/auth/users/', a.users.supervisor.token), 403);
    const restored = await call('PATCH', `/api/permissions/roles/${supervisor}/`, a.users.admin.token, { permissions: original });
    expect(restored.statusCode).toBe(200);
    expect((await call('GET', '/api/auth/users/', a.users.supervisor.token)).statusCode).toBe(200);
    // Granting a new permission works as fast.
    expectError(await call('GET', '/api/permissions/roles/', a.users.supervisor.token), 403);
    await call('PATCH', `/api/permissions/roles/${supervisor}/`, a.users.admin.token, { permissions: [...original, 'roles:view'] });
    expect((await call('GET', '/api/permissions/roles/', a.users.supervisor.token)).statusCode).toBe(200);
    await call('PATCH', `/api/permissions/roles/${supervisor}/`, a.users.admin.token, { permissions: original });
    expect(await roleCodes(supervisor)).toEqual(original);
  });
});

describe('nobody grants what they do not hold', () => {
  let c: TestOrg;
  let custom: string;
  beforeAll(async () => {
    c = await createOrg(t, 'Roles Gamma');
    custom = await createRole(c, 'Helpers', ['users:view']);
    await t.db.system((tx) =>
      tx.execute(sql`DELETE FROM role_permissions WHERE role_id = ${c.roles.get('Org Admin')!} AND permission_id = ${permId.get('audit:view')!}`),
    );
    // Written behind the API: the actor cache has to be told, as the role service does.
    t.app.actorCache.invalidate({ kind: 'role', id: c.roles.get('Org Admin')! });
  });

  it('an Org Admin without audit:view cannot create a role carrying it (403), by id, code or codename', async () => {
    for (const ref of [permId.get('audit:view')!, 'audit:view', 'view_audit_logs']) {
      const name = `Snoop ${tag()}`;
      expectError(await call('POST', '/api/permissions/roles/', c.users.admin.token, { name, permissions: ['users:view', ref] }), 403, 'permission_not_held');
      expect(await q(sql`SELECT 1 FROM roles WHERE name = ${name}`)).toEqual([]);
    }
  });

  it('nor grant it to an existing role, including their own', async () => {
    expectError(await call('PATCH', `/api/permissions/roles/${custom}/`, c.users.admin.token, { permissions: ['users:view', 'audit:view'] }), 403, 'permission_not_held');
    expect(await roleCodes(custom)).toEqual(['users:view']);
    const own = c.roles.get('Org Admin')!;
    const ownCodes = await roleCodes(own);
    // The Org Admin role's permissions are fixed (it always has every permission), so this is refused outright.
    expectError(await call('PATCH', `/api/permissions/roles/${own}/`, c.users.admin.token, { permissions: [...ownCodes, 'audit:view'] }), 400);
    expect(await roleCodes(own)).not.toContain('audit:view');
    expectError(await call('GET', '/api/audit/logs/', c.users.admin.token), 403);
  });

  it('nor assign a role that carries it', async () => {
    const res = await call('POST', '/api/permissions/roles/assign/', c.users.admin.token, { user_id: c.users.member.id, role_id: c.roles.get('Verifier')! });
    expect(res.statusCode).toBe(200);
    expect(res.json().summary).toEqual({ total: 1, successful: 0, failed: 1 });
    expect(await roleOf(c.users.member.id, c.id)).toBe('Team Member');
  });

  it('while granting what they hold still works', async () => {
    const res = await call('PATCH', `/api/permissions/roles/${custom}/`, c.users.admin.token, { permissions: ['users:view', 'deals:view_all'] });
    expect(res.statusCode).toBe(200);
    expect(await roleCodes(custom)).toEqual(['deals:view_all', 'users:view']);
  });

  it('nobody becomes Super Admin through roles', async () => {
    expect(expectError(await call('POST', '/api/permissions/roles/', c.users.admin.token, { name: 'Super Admin', permissions: [] }), 400).name).toBeDefined();
    const byName = await call('POST', '/api/permissions/roles/assign/', c.users.admin.token, { user_id: c.users.sales.id, role_id: 'Super Admin' });
    expect(byName.json().summary).toMatchObject({ successful: 0, failed: 1 });
    const toAdmin = await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: a.users.lead.id, role_id: a.roles.get('Org Admin')! });
    expect(toAdmin.json().summary).toMatchObject({ successful: 1 });
    const [u] = await q<{ is_superuser: boolean }>(sql`SELECT is_superuser FROM users WHERE id = ${a.users.lead.id}`);
    expect(u!.is_superuser).toBe(false);
    // An Org Admin is still confined to their organisation.
    const orgs = await call('GET', '/api/organizations/', a.users.lead.token);
    expect(orgs.json().results.map((o: { id: number }) => o.id)).toEqual([Number(a.id)]);
    expectError(await call('GET', `/api/auth/users/${b.users.admin.id}/`, a.users.lead.token), 404);
    await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: a.users.lead.id, role_id: a.roles.get('Team Lead')! });
    expect(await roleOf(a.users.lead.id, a.id)).toBe('Team Lead');
  });
});

describe('DELETE /api/permissions/roles/:id/', () => {
  it('requires a token and roles:manage', async () => {
    const id = await createRole(a, `Doomed ${tag()}`);
    expectError(await call('DELETE', `/api/permissions/roles/${id}/`), 401);
    for (const who of [a.users.sales, a.users.member]) expectError(await call('DELETE', `/api/permissions/roles/${id}/`, who.token), 403);
    expect(await roleRow(id)).toBeDefined();
  });

  it('deletes an unused custom role with its permissions, and audits it', async () => {
    const id = await createRole(a, `Temp ${tag()}`, ['users:view']);
    const res = await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await roleRow(id)).toBeUndefined();
    expect(await q(sql`SELECT 1 FROM role_permissions WHERE role_id = ${id}`)).toEqual([]);
    const audit = (await auditRows(t, 'role', id)).find((r) => r.action === 'delete');
    expect(audit).toMatchObject({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'] });
    expectError(await call('GET', `/api/permissions/roles/${id}/`, a.users.admin.token), 404);
  });

  it('refuses to delete a default role (409)', async () => {
    for (const name of ['Salesperson', 'Org Admin', 'Team Lead']) {
      const id = a.roles.get(name)!;
      expectError(await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token), 409);
      expect(await roleRow(id)).toMatchObject({ name, is_default: true });
    }
  });

  it('refuses to delete a role in use (409), also when its holder is deactivated', async () => {
    const id = await createRole(a, `Busy ${tag()}`);
    const holder = await freshUser(a, 'Team Member');
    const assigned = await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: holder.id, role_id: id });
    expect(assigned.json().summary.successful).toBe(1);
    expectError(await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token), 409, 'in_use');
    expect(await roleRow(id)).toBeDefined();

    expect((await call('DELETE', `/api/auth/users/${holder.id}/`, a.users.admin.token)).statusCode).toBe(200);
    expectError(await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token), 409, 'in_use');
    expect(await roleRow(id)).toBeDefined();
    expect(await roleOf(holder.id, a.id)).toMatch(/^Busy /);
  });

  it("answers 404 for another organisation's role and malformed ids", async () => {
    const foreign = await createRole(b, `Foreign ${tag()}`);
    for (const id of [foreign, ...b.roles.values(), UNKNOWN, ...MALFORMED]) expectError(await call('DELETE', `/api/permissions/roles/${id}/`, a.users.admin.token), 404, 'not_found');
    expect(await roleRow(foreign)).toBeDefined();
  });
});

describe('POST /api/permissions/roles/bulk-assign/ and /assign/', () => {
  it('require a token and roles:manage', async () => {
    const body = { assignments: [{ user_id: a.users.member.id, role_id: a.roles.get('Verifier')! }] };
    expectError(await call('POST', '/api/permissions/roles/bulk-assign/', undefined, body), 401);
    expectError(await call('POST', '/api/permissions/roles/assign/', undefined, body.assignments[0]), 401);
    for (const who of [a.users.sales, a.users.supervisor, a.users.member]) {
      expectError(await call('POST', '/api/permissions/roles/bulk-assign/', who.token, body), 403);
      expectError(await call('POST', '/api/permissions/roles/assign/', who.token, body.assignments[0]), 403);
    }
    expect(await roleOf(a.users.member.id, a.id)).toBe('Team Member');
  });

  it('assigns roles in bulk, reports foreign users and roles as failed, audits each change', async () => {
    const u1 = await freshUser(a, 'Team Member');
    const u2 = await freshUser(a, 'Team Member');
    const res = await call('POST', '/api/permissions/roles/bulk-assign/', a.users.admin.token, {
      assignments: [
        // The web client sends ids as JSON integers (parseInt) or as the strings of its selects.
        { user_id: Number(u1.id), role_id: Number(a.roles.get('Verifier')!) },
        { user_id: u2.id, role_id: 'Salesperson' },
        { user_id: b.users.member.id, role_id: a.roles.get('Verifier')! },
        { user_id: u1.id, role_id: b.roles.get('Org Admin')! },
        { user_id: a.users.admin.id, role_id: a.roles.get('Team Member')! },
        { user_id: 'not-a-uuid', role_id: a.roles.get('Verifier')! },
        { user_id: UNKNOWN, role_id: a.roles.get('Verifier')! },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.summary).toEqual({ total: 7, successful: 2, failed: 5 });
    expect(body.successful_assignments).toEqual([
      { user_id: Number(u1.id), user_email: u1.email, role_id: Number(a.roles.get('Verifier')), role_name: 'Verifier' },
      { user_id: Number(u2.id), user_email: u2.email, role_id: Number(a.roles.get('Salesperson')), role_name: 'Salesperson' },
    ]);
    // A failed assignment is echoed as received, normalised to text (it may not be an id at all).
    expect(body.failed_assignments.map((f: { assignment: { user_id: string } }) => f.assignment.user_id)).toEqual([b.users.member.id, u1.id, a.users.admin.id, 'not-a-uuid', UNKNOWN].map(dbId));
    for (const f of body.failed_assignments) expect(f.error).toEqual(expect.any(String));
    expect(await roleOf(u1.id, a.id)).toBe('Verifier');
    expect(await roleOf(u2.id, a.id)).toBe('Salesperson');
    expect(await roleOf(b.users.member.id, b.id)).toBe('Team Member');
    expect(await roleOf(b.users.member.id, a.id)).toBeUndefined();
    expect(await roleOf(a.users.admin.id, a.id)).toBe('Org Admin');
    const audit = (await auditRows(t, 'user', u1.id)).filter((r) => r.action === 'role_change');
    expect(audit).toEqual([expect.objectContaining({ actor_id: dbId(a.users.admin.id), organization_id: a.id, request_id: res.headers['x-request-id'], old_values: { role: 'Team Member' }, new_values: { role: 'Verifier' } })]);
    // The new role is in force on the user's next request.
    expect((await call('GET', '/api/audit/logs/', u1.token)).statusCode).toBe(200);
  });

  it('assigns a single role, with the same report shape', async () => {
    const u = await freshUser(a, 'Salesperson');
    const res = await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: u.id, role_id: a.roles.get('Supervisor')! });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      successful_assignments: [{ user_id: Number(u.id), user_email: u.email, role_id: Number(a.roles.get('Supervisor')), role_name: 'Supervisor' }],
      failed_assignments: [],
      summary: { total: 1, successful: 1, failed: 0 },
    });
    expect(await roleOf(u.id, a.id)).toBe('Supervisor');
    const foreignUser = await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: b.users.sales.id, role_id: a.roles.get('Org Admin')! });
    expect(foreignUser.json().summary).toEqual({ total: 1, successful: 0, failed: 1 });
    const foreignRole = await call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: u.id, role_id: b.roles.get('Org Admin')! });
    expect(foreignRole.json().summary).toEqual({ total: 1, successful: 0, failed: 1 });
    expect(await roleOf(b.users.sales.id, b.id)).toBe('Salesperson');
    expect(await roleOf(u.id, a.id)).toBe('Supervisor');
  });

  it('answers bad input with 400 field errors', async () => {
    const cases: [string, object, string][] = [
      ['/api/permissions/roles/bulk-assign/', {}, 'assignments'],
      ['/api/permissions/roles/bulk-assign/', { assignments: [] }, 'assignments'],
      ['/api/permissions/roles/bulk-assign/', { assignments: 'all' }, 'assignments'],
      ['/api/permissions/roles/assign/', { role_id: a.roles.get('Verifier') }, 'user_id'],
      ['/api/permissions/roles/assign/', { user_id: a.users.member.id }, 'role_id'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await call('POST', url, a.users.admin.token, payload);
      expect(expectError(res, 400)[field], `${url} ${JSON.stringify(payload)}`).toBeDefined();
    }
    const nested = await call('POST', '/api/permissions/roles/bulk-assign/', a.users.admin.token, { assignments: [{ user_id: a.users.member.id }] });
    expect(expectError(nested, 400).assignments).toEqual([{ role_id: [expect.any(String)] }]);
  });
});

describe('permissions an actor lacks stay on a role', () => {
  it('removing what the actor does not hold is impossible; the Org Admin role cannot be narrowed', async () => {
    const t2 = t;
    const org2 = await createOrg(t2, 'Keep Perms Org');
    const admin = org2.users.admin;
    const verifierRole = org2.roles.get('Verifier')!;
    // Take audit:view away from the admin's role directly, then let them edit the Verifier role.
    await t2.db.system((tx) => tx.execute(sql`DELETE FROM role_permissions WHERE role_id = ${org2.roles.get('Org Admin')!}
      AND permission_id = (SELECT id FROM permissions WHERE code = 'audit:view')`));
    t2.app.actorCache.invalidate({ kind: 'role', id: org2.roles.get('Org Admin')! });
    const res = await call('PATCH', `/api/permissions/roles/${verifierRole}/`, admin.token, { permissions: ['payments:view'] });
    expect(res.statusCode).toBe(200);
    expect(await roleCodes(verifierRole)).toEqual(['audit:view', 'payments:view']);
    const narrow = await call('PATCH', `/api/permissions/roles/${org2.roles.get('Org Admin')!}/`, admin.token, { permissions: ['users:view'] });
    expect(narrow.statusCode).toBe(400);
  });
});
