// The audit trail: every mutating identity request leaves a row carrying its actor, organisation
// and request id; /api/audit/logs/ reads only the caller's organisation with filters; the table
// itself refuses changes, whoever asks.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { dbId, wireId } from '../support/ids.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let su: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  a = await createOrg(t, 'Audit Alpha');
  b = await createOrg(t, 'Audit Beta');
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, headers: { ...(token ? auth(token) : {}), ...headers }, ...(payload ? { payload } : {}) });
function q<T = Record<string, unknown>>(query: SQL) {
  return t.db.system((tx) => rows<T>(tx, query));
}
const tag = () => randomBytes(3).toString('hex');
const STRONG = 'Granite-Falcon-73!';
const today = () => new Date().toISOString().slice(0, 10);
const shiftDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

interface AuditRow {
  entity: string;
  entity_id: string | null;
  action: string;
  actor_id: string | null;
  organization_id: string | null;
  request_id: string | null;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
}
const byRequest = (requestId: string) => q<AuditRow>(sql`SELECT entity, entity_id, action, actor_id, organization_id, request_id, old_values, new_values FROM audit_log WHERE request_id = ${requestId} ORDER BY created_at`);

function expectError(res: { statusCode: number; json(): Record<string, unknown>; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.message).toBe(body.detail);
  expect(body.request_id).toBe(res.headers['x-request-id']);
  return body;
}

describe('every mutating request leaves an audit row with its actor, organisation and request id', () => {
  it('for users, profile, sales target, roles, assignment and organisations', async () => {
    type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): Record<string, unknown> };
    const steps: { name: string; run: () => Promise<Res>; expect: (res: Res) => Partial<AuditRow> }[] = [];
    let userId = '';
    let roleId = '';
    let orgId = '';
    const email = `audited-${tag()}@example.test`;
    steps.push(
      {
        name: 'user create',
        run: () => call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: 'Salesperson' }),
        expect: (res) => ((userId = wireId(res.json().id)), { entity: 'user', entity_id: userId, action: 'create', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'user update',
        run: () => call('PATCH', `/api/auth/users/${userId}/`, a.users.admin.token, { first_name: 'Audited' }),
        expect: () => ({ entity: 'user', entity_id: userId, action: 'update', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'user role change',
        run: () => call('PATCH', `/api/auth/users/${userId}/`, a.users.admin.token, { role: 'Verifier' }),
        expect: () => ({ entity: 'user', entity_id: userId, action: 'role_change', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'role create',
        run: () => call('POST', '/api/permissions/roles/', a.users.admin.token, { name: `Audited ${tag()}`, permissions: ['users:view'] }),
        expect: (res) => ((roleId = wireId(res.json().id)), { entity: 'role', entity_id: roleId, action: 'create', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'role update',
        run: () => call('PATCH', `/api/permissions/roles/${roleId}/`, a.users.admin.token, { permissions: ['users:view', 'deals:view_all'] }),
        expect: () => ({ entity: 'role', entity_id: roleId, action: 'update', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'role assign',
        run: () => call('POST', '/api/permissions/roles/assign/', a.users.admin.token, { user_id: userId, role_id: roleId }),
        expect: () => ({ entity: 'user', entity_id: userId, action: 'role_change', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'bulk assign',
        run: () => call('POST', '/api/permissions/roles/bulk-assign/', a.users.admin.token, { assignments: [{ user_id: userId, role_id: a.roles.get('Salesperson')! }] }),
        expect: () => ({ entity: 'user', entity_id: userId, action: 'role_change', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'role delete',
        run: () => call('DELETE', `/api/permissions/roles/${roleId}/`, a.users.admin.token),
        expect: () => ({ entity: 'role', entity_id: roleId, action: 'delete', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'profile update',
        run: () => call('PATCH', '/api/auth/profile/', a.users.member.token, { first_name: 'Memo' }),
        expect: () => ({ entity: 'user', entity_id: dbId(a.users.member.id), action: 'profile_update', actor_id: dbId(a.users.member.id), organization_id: a.id }),
      },
      {
        name: 'sales target',
        run: () => call('POST', '/api/auth/user/set-sales-target/', a.users.sales.token, { sales_target: 5000 }),
        expect: () => ({ entity: 'user', entity_id: dbId(a.users.sales.id), action: 'set_sales_target', actor_id: dbId(a.users.sales.id), organization_id: a.id }),
      },
      {
        name: 'own organisation update',
        run: () => call('PATCH', `/api/organizations/${a.id}/`, a.users.admin.token, { description: `audited ${tag()}` }),
        expect: () => ({ entity: 'organization', entity_id: a.id, action: 'update', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'user deactivate',
        run: () => call('DELETE', `/api/auth/users/${userId}/`, a.users.admin.token),
        expect: () => ({ entity: 'user', entity_id: userId, action: 'deactivate', actor_id: dbId(a.users.admin.id), organization_id: a.id }),
      },
      {
        name: 'organisation create (Super Admin)',
        run: () => call('POST', '/api/organizations/', su.token, { name: `Audited Org ${tag()}`, is_active: true }),
        expect: (res) => ((orgId = wireId(res.json().id)), { entity: 'organization', entity_id: orgId, action: 'create', actor_id: dbId(su.id), organization_id: orgId }),
      },
      {
        name: 'user create by Super Admin',
        run: () => call('POST', '/api/auth/users/', su.token, { email: `su-made-${tag()}@example.test`, organization: b.id, first_name: 'Made', last_name: 'BySu', is_active: true }),
        expect: (res) => ({ entity: 'user', entity_id: wireId(res.json().id), action: 'create', actor_id: dbId(su.id), organization_id: b.id }),
      },
      {
        name: 'organisation delete (Super Admin)',
        run: () => call('DELETE', `/api/organizations/${orgId}/`, su.token),
        expect: () => ({ entity: 'organization', entity_id: orgId, action: 'delete', actor_id: dbId(su.id), organization_id: null }),
      },
    );
    for (const step of steps) {
      const res = await step.run();
      expect(res.statusCode, `${step.name}: ${res.body}`).toBeLessThan(300);
      const requestId = res.headers['x-request-id'] as string;
      expect(requestId, step.name).toEqual(expect.any(String));
      const audit = await byRequest(requestId);
      expect(audit, step.name).toContainEqual(expect.objectContaining({ ...step.expect(res), request_id: requestId }));
    }
  });

  it('records the request id the client sent, and never a password', async () => {
    const requestId = `client-req-${tag()}`;
    const email = `traced-${tag()}@example.test`;
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, { email, password: STRONG, role: 'Team Member' }, { 'x-request-id': requestId });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-request-id']).toBe(requestId);
    const audit = await byRequest(requestId);
    expect(audit).toEqual([expect.objectContaining({ entity: 'user', action: 'create', entity_id: wireId(res.json().id) })]);
    const [leak] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log WHERE old_values::text LIKE ${`%${STRONG}%`} OR new_values::text LIKE ${`%${STRONG}%`}`);
    expect(leak!.n).toBe(0);
  });

  it('a refused request leaves no audit row', async () => {
    const res = await call('POST', '/api/auth/users/', a.users.sales.token, { email: `refused-${tag()}@example.test`, role: 'Org Admin' });
    expect(res.statusCode).toBe(403);
    expect(await byRequest(res.headers['x-request-id'] as string)).toEqual([]);
    const bad = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: 'Super Admin' });
    expect(bad.statusCode).toBe(400);
    expect(await byRequest(bad.headers['x-request-id'] as string)).toEqual([]);
  });
});

describe('GET /api/audit/logs/', () => {
  let marker: string;
  let markerRequest: string;
  beforeAll(async () => {
    // Activity in both organisations.
    const roleA = await call('POST', '/api/permissions/roles/', a.users.admin.token, { name: `Marker ${tag()}` });
    expect(roleA.statusCode).toBe(201);
    marker = wireId(roleA.json().id);
    markerRequest = roleA.headers['x-request-id'] as string;
    const roleB = await call('POST', '/api/permissions/roles/', b.users.admin.token, { name: `Foreign ${tag()}` });
    expect(roleB.statusCode).toBe(201);
    expect((await call('PATCH', '/api/auth/profile/', b.users.sales.token, { first_name: 'Beta' })).statusCode).toBe(200);
  });

  it('requires a token', async () => {
    expectError(await call('GET', '/api/audit/logs/'), 401);
  });

  it('is refused to roles without audit:view', async () => {
    for (const who of [a.users.sales, a.users.member, a.users.lead, a.users.supervisor]) {
      const body = expectError(await call('GET', '/api/audit/logs/', who.token), 403);
      expect(body.code).toBe('permission_denied');
    }
  });

  it("lists only the caller's organisation, newest first, with the documented fields", async () => {
    const res = await call('GET', '/api/audit/logs/?page_size=1000', a.users.admin.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const [n] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log WHERE organization_id = ${a.id}`);
    expect(body.count).toBe(n!.n);
    expect(body.results).toHaveLength(n!.n);
    expect(body.count).toBeGreaterThan(0);
    for (const r of body.results) {
      // Ids are JSON integers; entity_id stays text (it also names periods and other composite keys).
      wireId(r.id);
      expect(r.organization).toBe(Number(a.id));
      if (r.actor !== null) wireId(r.actor);
      if (r.entity_id !== null) expect(typeof r.entity_id).toBe('string');
      expect(Object.keys(r).sort()).toEqual(['action', 'actor', 'actor_email', 'created_at', 'entity', 'entity_id', 'id', 'ip_address', 'new_values', 'old_values', 'organization', 'request_id', 'user_agent'].sort());
    }
    const times = body.results.map((r: { created_at: string }) => Date.parse(r.created_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const foreign = await q<{ id: string }>(sql`SELECT id FROM audit_log WHERE organization_id = ${b.id}`);
    expect(foreign.length).toBeGreaterThan(0);
    const ids = new Set(body.results.map((r: { id: number }) => dbId(r.id)));
    for (const f of foreign) expect(ids.has(f.id)).toBe(false);
    const row = body.results.find((r: { entity_id: string }) => r.entity_id === marker);
    expect(row).toMatchObject({ entity: 'role', action: 'create', actor: Number(a.users.admin.id), actor_email: a.users.admin.email, request_id: markerRequest });

    // A Verifier holds audit:view by default and sees the same organisation.
    const verifier = await call('GET', '/api/audit/logs/?page_size=1000', a.users.verifier.token);
    expect(verifier.statusCode).toBe(200);
    expect(verifier.json().results.every((r: { organization: number }) => r.organization === Number(a.id))).toBe(true);
  });

  it('paginates', async () => {
    const res = await call('GET', '/api/audit/logs/?page_size=2', a.users.admin.token);
    expect(res.json().results).toHaveLength(2);
    expect(res.json().next).toMatch(/page=2/);
    const second = await call('GET', '/api/audit/logs/?page_size=2&page=2', a.users.admin.token);
    expect(second.json().results.map((r: { id: string }) => r.id)).not.toContain(res.json().results[0].id);
  });

  it('filters by entity, action, entity_id and actor', async () => {
    const roles = await call('GET', '/api/audit/logs/?entity=role&page_size=1000', a.users.admin.token);
    expect(roles.json().count).toBeGreaterThan(0);
    expect(roles.json().results.every((r: { entity: string }) => r.entity === 'role')).toBe(true);
    const [nRoles] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log WHERE organization_id = ${a.id} AND entity = 'role'`);
    expect(roles.json().count).toBe(nRoles!.n);

    const creates = await call('GET', '/api/audit/logs/?entity=role&action=create&page_size=1000', a.users.admin.token);
    expect(creates.json().results.every((r: { entity: string; action: string }) => r.entity === 'role' && r.action === 'create')).toBe(true);
    expect(creates.json().results.map((r: { entity_id: string }) => r.entity_id)).toContain(marker);

    const one = await call('GET', `/api/audit/logs/?entity_id=${marker}`, a.users.admin.token);
    expect(one.json().results).toEqual([expect.objectContaining({ entity_id: marker, action: 'create' })]);

    const bySales = await call('GET', `/api/audit/logs/?actor=${a.users.sales.id}&page_size=1000`, a.users.admin.token);
    expect(bySales.statusCode).toBe(200);
    expect(bySales.json().results.every((r: { actor: number }) => r.actor === Number(a.users.sales.id))).toBe(true);
    const [nSales] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log WHERE organization_id = ${a.id} AND actor_id = ${dbId(a.users.sales.id)}`);
    expect(bySales.json().count).toBe(nSales!.n);

    // An actor of another organisation finds nothing here.
    const foreignActor = await call('GET', `/api/audit/logs/?actor=${b.users.sales.id}`, a.users.admin.token);
    expect(foreignActor.json()).toMatchObject({ count: 0, results: [] });
    const none = await call('GET', '/api/audit/logs/?action=no_such_action', a.users.admin.token);
    expect(none.json()).toMatchObject({ count: 0, results: [] });
  });

  it('filters by date_from/date_to (inclusive days)', async () => {
    const all = (await call('GET', '/api/audit/logs/', a.users.admin.token)).json().count;
    // Everything in this file happened today (or yesterday, should the run straddle midnight UTC).
    const recent = await call('GET', `/api/audit/logs/?date_from=${shiftDays(-1)}&date_to=${today()}`, a.users.admin.token);
    expect(recent.statusCode).toBe(200);
    expect(recent.json().count).toBe(all);
    expect((await call('GET', `/api/audit/logs/?date_from=${today()}&date_to=${today()}`, a.users.admin.token)).json().count).toBeGreaterThan(0);
    expect((await call('GET', `/api/audit/logs/?date_from=${shiftDays(2)}`, a.users.admin.token)).json().count).toBe(0);
    expect((await call('GET', `/api/audit/logs/?date_to=${shiftDays(-2)}`, a.users.admin.token)).json().count).toBe(0);
    expect((await call('GET', `/api/audit/logs/?date_from=${shiftDays(-2)}&date_to=${shiftDays(2)}`, a.users.admin.token)).json().count).toBe(all);
  });

  it('answers bad filters with 400, never 500', async () => {
    const badActor = expectError(await call('GET', '/api/audit/logs/?actor=someone', a.users.admin.token), 400);
    expect(badActor.actor).toEqual([expect.any(String)]);
    // Past bigint: still a field error, not a database error.
    expect(expectError(await call('GET', '/api/audit/logs/?actor=99999999999999999999', a.users.admin.token), 400).actor).toEqual([expect.any(String)]);
    const badDate = expectError(await call('GET', '/api/audit/logs/?date_from=yesterday', a.users.admin.token), 400);
    expect(badDate.date_from).toEqual([expect.any(String)]);
    expectError(await call('GET', '/api/audit/logs/?date_to=2024-13-45', a.users.admin.token), 400);
    const badPage = expectError(await call('GET', '/api/audit/logs/?page_size=-1', a.users.admin.token), 400);
    expect(badPage.page_size).toEqual([expect.any(String)]);
  });

  it('shows an organisation its own log after its admin loses and regains audit:view on the next request', async () => {
    const auditPerm = (await q<{ id: string }>(sql`SELECT id FROM permissions WHERE code = 'audit:view'`))[0]!.id;
    const verifierRole = a.roles.get('Verifier')!;
    await t.db.system((tx) => tx.execute(sql`DELETE FROM role_permissions WHERE role_id = ${verifierRole} AND permission_id = ${auditPerm}`));
    // Written behind the API: the actor cache has to be told, as the role service does.
    t.app.actorCache.invalidate({ kind: 'role', id: verifierRole });
    expect((await call('GET', '/api/audit/logs/', a.users.verifier.token)).statusCode).toBe(403);
    await t.db.system((tx) => tx.execute(sql`INSERT INTO role_permissions (role_id, permission_id, organization_id) VALUES (${verifierRole}, ${auditPerm}, ${a.id})`));
    t.app.actorCache.invalidate({ kind: 'role', id: verifierRole });
    expect((await call('GET', '/api/audit/logs/', a.users.verifier.token)).statusCode).toBe(200);
  });
});

describe('the audit log is append-only in the database', () => {
  const count = async () => (await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log`))[0]!.n;

  it('refuses UPDATE and DELETE in system scope', async () => {
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(t.db.system((tx) => tx.execute(sql`UPDATE audit_log SET action = 'tampered'`))).rejects.toThrow();
    await expect(t.db.system((tx) => tx.execute(sql`DELETE FROM audit_log`))).rejects.toThrow();
    await expect(t.db.system((tx) => tx.execute(sql`UPDATE audit_log SET organization_id = NULL WHERE organization_id = ${a.id}`))).rejects.toThrow();
    expect(await count()).toBe(before);
    expect(await q(sql`SELECT 1 FROM audit_log WHERE action = 'tampered'`)).toEqual([]);
  });

  it('refuses UPDATE and DELETE in tenant scope', async () => {
    const before = await count();
    await expect(t.db.tenant({ orgId: a.id, userId: dbId(a.users.admin.id) }, (tx) => tx.execute(sql`UPDATE audit_log SET action = 'tampered'`))).rejects.toThrow();
    await expect(t.db.tenant({ orgId: a.id, userId: dbId(a.users.admin.id) }, (tx) => tx.execute(sql`DELETE FROM audit_log`))).rejects.toThrow();
    expect(await count()).toBe(before);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even to the database owner', async () => {
    const before = await count();
    await expect(t.db.owner((conn) => conn.exec(`UPDATE audit_log SET action = 'tampered'`))).rejects.toThrow(/append-only/);
    await expect(t.db.owner((conn) => conn.exec('DELETE FROM audit_log'))).rejects.toThrow(/append-only/);
    await expect(t.db.owner((conn) => conn.exec('TRUNCATE audit_log'))).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
  });

  it('still accepts new rows (the log keeps working after the refusals)', async () => {
    const u = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Team Member')! });
    const session = await login(t, u.email);
    const res = await call('PATCH', '/api/auth/profile/', session.token, { last_name: 'After' });
    expect(res.statusCode).toBe(200);
    expect(await byRequest(res.headers['x-request-id'] as string)).toHaveLength(1);
  });
});
