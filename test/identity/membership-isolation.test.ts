// One person in two organisations (issue 14): organisation A's admin sees and changes only A's
// view of them (role, target, active flag), never B's, and never their identity (e-mail, names,
// contact, password) while B holds them too; deactivating them in A leaves their B sessions.
// Every test checks the database as well as the answer, and the other organisation's view.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { rows, sql } from '../../src/core/db/database.ts';
import { hashToken, newSessionToken } from '../../src/core/auth/opaque-tokens.ts';
import { insertMembership } from '../../src/core/users/repo.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, insertTestUser, login, PASSWORD, type TestOrg } from '../support/identity.ts';
import { dbId } from '../support/ids.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
/** P: Salesperson in A (target 1000), Verifier in B (target 7000). */
let p: { id: string; email: string };
let pInA: string;
let pInB: string;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: object) =>
  t.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload ? { payload } : {}) });
const q = <T = Record<string, unknown>>(query: SQL) => t.db.system((tx) => rows<T>(tx, query));
const uniqueEmail = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}@example.test`;

interface IdentityRow { email: string; first_name: string; last_name: string; contact_number: string; address: string; username: string; password_hash: string; is_active: boolean; status: string }
async function identity(id: string): Promise<IdentityRow> {
  const [u] = await q<IdentityRow>(sql`SELECT email, first_name, last_name, contact_number, address, username, password_hash, is_active, status FROM users WHERE id = ${id}`);
  return u!;
}
async function membership(userId: string, orgId: string) {
  const [m] = await q<{ role: string; sales_target: string; is_active: boolean; deactivated_by: string | null; membership_role: string }>(
    sql`SELECT r.name AS role, m.sales_target::text AS sales_target, m.is_active, m.deactivated_by, m.membership_role
        FROM memberships m LEFT JOIN roles r ON r.id = m.role_id WHERE m.user_id = ${userId} AND m.organization_id = ${orgId}`,
  );
  return m!;
}

/** A person with memberships in both organisations (the second one written in system scope). */
async function sharedPerson(roleA: string, roleB: string, targets: [string, string], prefix = 'shared') {
  const person = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(roleA)!, email: uniqueEmail(prefix), firstName: 'Pat' });
  await t.db.system(async (tx) => {
    await insertMembership(tx, b.id, person.id, b.roles.get(roleB)!);
    await tx.execute(sql`UPDATE users SET contact_number = '+977-9800000001', address = 'Lalitpur', username = 'pat' WHERE id = ${person.id}`);
    await tx.execute(sql`UPDATE memberships SET sales_target = CASE organization_id WHEN ${a.id} THEN ${targets[0]}::numeric ELSE ${targets[1]}::numeric END WHERE user_id = ${person.id}`);
  });
  return person;
}

/**
 * A session of the person in one organisation: a login after they last worked there, or (while
 * login still picks the earliest membership) a session row opened directly.
 */
async function sessionIn(person: { id: string; email: string }, orgId: string): Promise<string> {
  await q(sql`UPDATE users SET last_organization_id = ${orgId} WHERE id = ${person.id}`);
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: person.email, password: PASSWORD } });
  if (res.statusCode === 200 && String(res.json().user.organization) === orgId) return res.json().token as string;
  const token = newSessionToken();
  await q(sql`INSERT INTO auth_sessions (user_id, organization_id, token_hash, expires_at)
    VALUES (${person.id}, ${orgId}, ${hashToken(token)}, now() + interval '1 hour')`);
  return token;
}

beforeAll(async () => {
  t = await createTestApp();
  a = await createOrg(t, 'Iso Alpha');
  b = await createOrg(t, 'Iso Beta');
  p = await sharedPerson('Salesperson', 'Verifier', ['1000', '7000'], 'p');
  pInA = await sessionIn(p, a.id);
  pInB = await sessionIn(p, b.id);
});
afterAll(() => t.close());

describe('reads (10): the active organisation\'s view of a shared person', () => {
  it('GET /api/auth/users/P/ shows A\'s role, target and organisation to A, B\'s to B', async () => {
    const inA = await call('GET', `/api/auth/users/${p.id}/`, a.users.admin.token);
    expect(inA.statusCode).toBe(200);
    expect(inA.json()).toMatchObject({ id: Number(p.id), role: { name: 'Salesperson' }, user_type: 'salesperson', sales_target: '1000.00', organization: Number(a.id), organizationId: Number(a.id), organization_name: a.name, is_active: true });
    const inB = await call('GET', `/api/auth/users/${p.id}/`, b.users.admin.token);
    expect(inB.json()).toMatchObject({ role: { name: 'Verifier' }, sales_target: '7000.00', organization: Number(b.id) });
  });

  it('lists P once in A\'s list with A\'s data, never B\'s role', async () => {
    const res = await call('GET', '/api/auth/users/?page_size=1000', a.users.admin.token);
    expect(res.statusCode).toBe(200);
    const mine = res.json().results.filter((u: { id: number }) => u.id === Number(p.id));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ role: { name: 'Salesperson' }, sales_target: '1000.00', organization: Number(a.id) });
    // Filtering by B's role in A does not find them.
    const verifiers = await call('GET', '/api/auth/users/?role=Verifier&page_size=1000', a.users.admin.token);
    expect(verifiers.json().results.map((u: { id: number }) => u.id)).not.toContain(Number(p.id));
    expect(res.json().results.every((u: { organization: number }) => u.organization === Number(a.id))).toBe(true);
  });

  it('a pending invitee is invisible to the list and the detail', async () => {
    const invitee = await insertTestUser(t, { email: uniqueEmail('invitee') });
    await q(sql`INSERT INTO memberships (organization_id, user_id, role_id, status, is_active, invited_email, invited_at)
      VALUES (${a.id}, ${invitee.id}, ${a.roles.get('Salesperson')!}, 'pending', false, ${invitee.email}, now())`);
    expect((await call('GET', `/api/auth/users/${invitee.id}/`, a.users.admin.token)).statusCode).toBe(404);
    const list = await call('GET', `/api/auth/users/?page_size=1000`, a.users.admin.token);
    expect(list.json().results.map((u: { id: number }) => u.id)).not.toContain(Number(invitee.id));
    expect((await call('PATCH', `/api/auth/users/${invitee.id}/`, a.users.admin.token, { role: 'Verifier' })).statusCode).toBe(404);
    expect((await membership(invitee.id, a.id)).role).toBe('Salesperson');
  });
});

describe('identity of a shared person (11, 12): never changed by one organisation', () => {
  it.each([
    ['email', { email: 'someone-else@example.test' }],
    ['first_name', { first_name: 'Mallory' }],
    ['last_name', { last_name: 'Changed' }],
    ['contact_number', { contact_number: '+977-9811111111' }],
    ['address', { address: 'Pokhara' }],
  ])('PATCH of a new %s is a 403 identity_not_owned and writes nothing', async (field, payload) => {
    const before = await identity(p.id);
    const res = await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, { ...payload, role: 'Team Member', sales_target: '1' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'identity_not_owned' });
    expect(res.json().detail).toContain(field);
    expect(await identity(p.id)).toEqual(before);
    // Nothing of the request was written: not the membership either.
    expect(await membership(p.id, a.id)).toMatchObject({ role: 'Salesperson', sales_target: '1000.00' });
  });

  it('the edit form\'s unchanged values pass with a role change; a regenerated username is ignored', async () => {
    const before = await identity(p.id);
    const res = await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, {
      email: p.email.toUpperCase(), first_name: 'Pat', last_name: 'User', contact_number: '+977-+977-9800000001', address: 'Lalitpur',
      username: `pat_${Date.now()}`, role: 'Team Member', is_active: true, organization: a.id, teams: ['Not Assigned'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ role: { name: 'Team Member' }, username: 'pat', organization: Number(a.id) });
    expect(await identity(p.id)).toEqual(before);
    expect((await membership(p.id, a.id)).role).toBe('Team Member');
    // B's view is untouched.
    expect((await membership(p.id, b.id)).role).toBe('Verifier');
    const back = await call('PUT', `/api/auth/users/${p.id}/`, a.users.admin.token, { email: p.email, first_name: 'Pat', last_name: 'User', role: 'Salesperson' });
    expect(back.statusCode).toBe(200);
    expect((await membership(p.id, a.id)).role).toBe('Salesperson');
  });

  it('no users route changes the password: a password in an update is ignored', async () => {
    const before = await identity(p.id);
    const res = await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, { password: 'Granite-Falcon-73!', new_password: 'Granite-Falcon-73!' });
    expect(res.statusCode).toBe(200);
    expect((await identity(p.id)).password_hash).toBe(before.password_hash);
    expect((await login(t, p.email)).token).toEqual(expect.any(String));
  });

  it('POST /api/auth/users/ with P\'s e-mail is a 409 and leaves P as they were', async () => {
    const before = await identity(p.id);
    const res = await call('POST', '/api/auth/users/', a.users.admin.token, {
      email: p.email.toUpperCase(), first_name: 'Eve', last_name: 'Takeover', password: 'Granite-Falcon-73!', role: 'Verifier', sales_target: '5',
    });
    expect(res.statusCode).toBe(409);
    expect(await identity(p.id)).toEqual(before);
    expect(await membership(p.id, a.id)).toMatchObject({ role: 'Salesperson', sales_target: '1000.00' });
    expect(await q(sql`SELECT 1 FROM memberships WHERE user_id = ${p.id}`)).toHaveLength(2);
  });

  it('A may still change the identity of a person only A holds', async () => {
    const solo = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Salesperson')!, email: uniqueEmail('solo') });
    const res = await call('PATCH', `/api/auth/users/${solo.id}/`, a.users.admin.token, { first_name: 'Sol', contact_number: '+977-9822222222' });
    expect(res.statusCode).toBe(200);
    expect(await identity(solo.id)).toMatchObject({ first_name: 'Sol', contact_number: '+977-9822222222' });
  });
});

describe('a Super Admin and a shared person', () => {
  it('reads them through the organisation they last worked in, or the one the request names', async () => {
    const root = await createSuperAdmin(t);
    const person = await sharedPerson('Salesperson', 'Verifier', ['10', '20'], 'root-view');
    await q(sql`UPDATE users SET last_organization_id = ${b.id} WHERE id = ${person.id}`);
    expect((await call('GET', `/api/auth/users/${person.id}/`, root.token)).json()).toMatchObject({ organization: Number(b.id), role: { name: 'Verifier' }, sales_target: '20.00' });
    const named = await t.app.inject({ method: 'GET', url: `/api/auth/users/${person.id}/`, headers: { ...auth(root.token), 'x-organization-id': a.id } });
    expect(named.json()).toMatchObject({ organization: Number(a.id), role: { name: 'Salesperson' }, sales_target: '10.00' });
    await q(sql`UPDATE users SET last_organization_id = NULL WHERE id = ${person.id}`);
    expect((await call('GET', `/api/auth/users/${person.id}/`, root.token)).json().organization).toBe(Number(a.id));
  });

  it('may change their identity (row-level security would refuse it in tenant scope)', async () => {
    const root = await createSuperAdmin(t);
    const person = await sharedPerson('Salesperson', 'Verifier', ['10', '20'], 'root-edit');
    const res = await t.app.inject({ method: 'PATCH', url: `/api/auth/users/${person.id}/?organization=${a.id}`, headers: auth(root.token), payload: { first_name: 'Renamed', is_active: false } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ first_name: 'Renamed', is_active: false });
    // The deactivation is still A's membership only: B holds the person too.
    expect(await identity(person.id)).toMatchObject({ first_name: 'Renamed', is_active: true });
    expect([(await membership(person.id, a.id)).is_active, (await membership(person.id, b.id)).is_active]).toEqual([false, true]);
  });
});

describe('row-level security (13): what a transaction of A can reach', () => {
  const inA = <T>(fn: (run: <R>(query: SQL) => Promise<R[]>) => Promise<T>) =>
    t.db.tenant({ orgId: a.id, userId: dbId(a.users.admin.id) }, (tx) => fn(<R>(query: SQL) => rows<R>(tx, query)));

  it('UPDATE users of a shared person updates 0 rows; of a person only in A, 1', async () => {
    const solo = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Verifier')!, email: uniqueEmail('rls-solo') });
    const counts = await inA(async (run) => ({
      shared: (await run(sql`UPDATE users SET first_name = 'x' WHERE id = ${p.id} RETURNING id`)).length,
      solo: (await run(sql`UPDATE users SET first_name = 'x' WHERE id = ${solo.id} RETURNING id`)).length,
      // A still reads the shared person (an accepted member of A).
      visible: (await run(sql`SELECT id FROM users WHERE id = ${p.id}`)).length,
    }));
    expect(counts).toEqual({ shared: 0, solo: 1, visible: 1 });
    expect((await identity(p.id)).first_name).toBe('Pat');
    expect((await identity(solo.id)).first_name).toBe('x');
  });

  it('sees none of B\'s memberships, nor P\'s notifications of B', async () => {
    await q(sql`INSERT INTO notifications (recipient_id, organization_id, notification_type, title)
      VALUES (${p.id}, ${a.id}, 'test_note', 'in A'), (${p.id}, ${b.id}, 'test_note', 'in B')`);
    const seen = await t.db.tenant({ orgId: a.id, userId: p.id }, async (tx) => ({
      memberships: await rows<{ organization_id: string }>(tx, sql`SELECT organization_id FROM memberships WHERE user_id = ${p.id}`),
      notes: await rows<{ title: string }>(tx, sql`SELECT title FROM notifications WHERE recipient_id = ${p.id} AND notification_type = 'test_note'`),
    }));
    expect(seen).toEqual({ memberships: [{ organization_id: a.id }], notes: [{ title: 'in A' }] });
    // Both exist.
    expect(await q(sql`SELECT 1 FROM notifications WHERE recipient_id = ${p.id} AND notification_type = 'test_note'`)).toHaveLength(2);
  });

  it('a pending membership\'s user row is invisible', async () => {
    const invitee = await insertTestUser(t, { email: uniqueEmail('rls-invitee') });
    await q(sql`INSERT INTO memberships (organization_id, user_id, role_id, status, is_active)
      VALUES (${a.id}, ${invitee.id}, ${a.roles.get('Verifier')!}, 'pending', false)`);
    const found = await inA((run) => run(sql`SELECT id FROM users WHERE id = ${invitee.id}`));
    expect(found).toEqual([]);
    expect(await q(sql`SELECT id FROM users WHERE id = ${invitee.id}`)).toHaveLength(1);
  });
});

describe('sales target per organisation (14)', () => {
  it('A setting the target leaves B\'s dashboard target for the person unchanged, and the other way round', async () => {
    const seller = await sharedPerson('Salesperson', 'Salesperson', ['0', '3000'], 'seller');
    const sellerA = await sessionIn(seller, a.id);
    const sellerB = await sessionIn(seller, b.id);
    const goal = async (token: string) => (await call('GET', '/api/dashboard/goals/', token)).json().target;
    expect([await goal(sellerA), await goal(sellerB)]).toEqual(['0.00', '3000.00']);

    const res = await call('PATCH', `/api/auth/users/${seller.id}/`, a.users.admin.token, { sales_target: '2500' });
    expect(res.statusCode).toBe(200);
    expect(res.json().sales_target).toBe('2500.00');
    expect([await goal(sellerA), await goal(sellerB)]).toEqual(['2500.00', '3000.00']);
    expect((await call('GET', `/api/auth/users/${seller.id}/`, b.users.admin.token)).json().sales_target).toBe('3000.00');

    // A manager of B sets their own target: B's membership only.
    const leadB = await sessionIn(await sharedPerson('Team Lead', 'Team Lead', ['100', '200'], 'lead'), b.id);
    const own = await call('POST', '/api/auth/users/set-sales-target/', leadB, { sales_target: '4321' });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ sales_target: '4321.00', user: { organization: Number(b.id), sales_target: '4321.00' } });
    const leadId = String(own.json().user.id);
    expect([(await membership(leadId, a.id)).sales_target, (await membership(leadId, b.id)).sales_target]).toEqual(['100.00', '4321.00']);
    // users.sales_target is a dead column: nothing writes it.
    expect(await q(sql`SELECT sales_target::text AS t FROM users WHERE id IN (${seller.id}, ${leadId})`)).toEqual([{ t: '0.00' }, { t: '0.00' }]);
  });
});

describe('deactivation of a shared person (15): A\'s membership only', () => {
  it('DELETE ends P\'s A session, keeps their B session and their login', async () => {
    expect((await call('GET', '/api/auth/profile/', pInA)).statusCode).toBe(200);
    const res = await call('DELETE', `/api/auth/users/${p.id}/`, a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect((await call('GET', '/api/auth/profile/', pInA)).statusCode).toBe(401);
    const inB = await call('GET', '/api/auth/profile/', pInB);
    expect(inB.statusCode).toBe(200);
    expect(inB.json()).toMatchObject({ organization: Number(b.id), is_active: true });
    expect(await identity(p.id)).toMatchObject({ is_active: true, status: 'active' });
    expect(await membership(p.id, a.id)).toMatchObject({ is_active: false, deactivated_by: dbId(a.users.admin.id) });
    expect((await membership(p.id, b.id)).is_active).toBe(true);
    expect(await q(sql`SELECT revoked_reason FROM auth_sessions WHERE user_id = ${p.id} AND organization_id = ${b.id} AND revoked_at IS NOT NULL`)).toEqual([]);
    // Each organisation shows its own flag.
    expect((await call('GET', `/api/auth/users/${p.id}/`, a.users.admin.token)).json()).toMatchObject({ is_active: false, status: 'inactive' });
    expect((await call('GET', `/api/auth/users/${p.id}/`, b.users.admin.token)).json()).toMatchObject({ is_active: true, status: 'active' });
  });

  it('PATCH is_active true then false does the same', async () => {
    const on = await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, { is_active: true });
    expect(on.statusCode).toBe(200);
    expect(await membership(p.id, a.id)).toMatchObject({ is_active: true, deactivated_by: null });
    const again = await sessionIn(p, a.id);
    expect((await call('GET', '/api/auth/profile/', again)).statusCode).toBe(200);
    const off = await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, { is_active: false });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ is_active: false });
    expect((await call('GET', '/api/auth/profile/', again)).statusCode).toBe(401);
    expect((await call('GET', '/api/auth/profile/', pInB)).statusCode).toBe(200);
    expect((await identity(p.id)).is_active).toBe(true);
    expect((await membership(p.id, b.id)).is_active).toBe(true);
  });

  it('B\'s admin cannot deactivate P in A either', async () => {
    await call('PATCH', `/api/auth/users/${p.id}/`, a.users.admin.token, { is_active: true });
    const session = await sessionIn(p, a.id);
    const bOff = await call('PATCH', `/api/auth/users/${p.id}/`, b.users.admin.token, { status: 'inactive' });
    expect(bOff.statusCode).toBe(200);
    expect((await membership(p.id, b.id)).is_active).toBe(false);
    expect((await call('GET', '/api/auth/profile/', session)).statusCode).toBe(200);
    expect((await membership(p.id, a.id)).is_active).toBe(true);
    expect((await identity(p.id)).status).toBe('active');
  });
});

describe('a single-organisation person (16): deactivated as before', () => {
  it('DELETE turns the login off: users.is_active false, login 403 account_inactive', async () => {
    const solo = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Salesperson')!, email: uniqueEmail('single') });
    const session = (await login(t, solo.email)).token;
    expect((await call('DELETE', `/api/auth/users/${solo.id}/`, a.users.admin.token)).statusCode).toBe(200);
    expect(await identity(solo.id)).toMatchObject({ is_active: false, status: 'inactive' });
    expect((await call('GET', '/api/auth/profile/', session)).statusCode).toBe(401);
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: solo.email, password: PASSWORD } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('account_inactive');
  });

  it('PATCH is_active false turns the login off too', async () => {
    const solo = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Verifier')!, email: uniqueEmail('single-patch') });
    expect((await call('PATCH', `/api/auth/users/${solo.id}/`, a.users.admin.token, { is_active: false })).statusCode).toBe(200);
    expect(await identity(solo.id)).toMatchObject({ is_active: false, status: 'inactive' });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: solo.email, password: PASSWORD } });
    expect(res.json().code).toBe('account_inactive');
  });
});
