// One person in two organisations with different roles (issue 14): every token acts in the
// organisation it was issued for, switching is explicit and audited, X-Organization-Id is
// honoured only among the person's own organisations, and WebSocket delivery follows the token.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { JwtService } from '../../src/core/auth/jwt.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import { insertMembership } from '../../src/core/users/repo.ts';
import type { TestApp } from '../support/app.ts';
import { auth, createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { createClient } from '../support/sales.ts';
import { caller, dealOf, notificationsApp, recordPayment, sleep, SocketClient } from '../notifications/helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let c: TestOrg;
let person: { id: string; email: string };
let inA: TestUser;
let call: ReturnType<typeof caller>;
let base: string;
const sockets: SocketClient[] = [];

const q = <T = Record<string, unknown>>(query: ReturnType<typeof sql>) => t.db.system((tx) => rows<T>(tx, query));
const withHeader = (token: string, orgId: string, method: 'GET' | 'POST' = 'GET', url = '/api/deals/', payload?: unknown) =>
  t.app.inject({ method, url, headers: { ...auth(token), 'x-organization-id': orgId, 'content-type': 'application/json' }, ...(payload ? { payload: JSON.stringify(payload) } : {}) });
const switchTo = (token: string | undefined, organization: unknown) => call('POST', '/api/auth/switch-organization/', token, organization === undefined ? {} : { organization });
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

async function addMembership(userId: string, org: TestOrg, role: string, status: 'active' | 'pending' = 'active') {
  await t.db.system(async (tx) => {
    if (status === 'active') await insertMembership(tx, org.id, userId, org.roles.get(role)!);
    else await tx.execute(sql`INSERT INTO memberships (organization_id, user_id, role_id, status, is_active, invited_email, invited_at) VALUES (${org.id}, ${userId}, ${org.roles.get(role)!}, 'pending', false, 'x@example.test', now())`);
  });
}

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  a = await createOrg(t, 'Multi Alpha');
  b = await createOrg(t, 'Multi Beta');
  c = await createOrg(t, 'Multi Gamma');
  person = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.salesperson)!, email: 'two-orgs@example.test' });
  await addMembership(person.id, b, ROLE_NAMES.verifier);
  inA = await login(t, person.email);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await t.close();
});

describe('one person, two organisations', () => {
  let dealA: { id: string; deal_id: string };
  let dealB: { id: string; deal_id: string };
  let inB: TestUser;

  it('login lands in the only (here: the oldest) organisation, as today, with a JSON integer organisation', async () => {
    const res = await call('POST', '/api/auth/login/', undefined, { email: person.email, password: 'Correct-Horse-42!' });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.organization).toBe(Number(a.id));
    expect(res.json().user.role).toMatchObject({ name: ROLE_NAMES.salesperson });
    expect(claims(inA.access).org).toBe(a.id);
  });

  it('a token of A sees only A: lists, details, dashboards and notifications', async () => {
    dealA = await dealOf(t, inA);
    dealB = await dealOf(t, b.users.sales);
    await recordPayment(t, b.users.sales, dealB.deal_id); // notifies B's verifiers, P among them
    const [noticeInB] = await q<{ id: string }>(sql`SELECT id FROM notifications WHERE recipient_id = ${person.id} AND organization_id = ${b.id}`);
    expect(noticeInB).toBeDefined(); // the control: P does have a notification in B

    const deals = await call('GET', '/api/deals/', inA.token);
    expect(deals.json().results.map((d: { id: number }) => d.id)).toEqual([Number(dealA.id)]);
    expect((await call('GET', `/api/deals/${dealB.id}/`, inA.token)).statusCode).toBe(404);
    const clients = await call('GET', '/api/clients/', inA.token);
    expect(clients.json().results).toHaveLength(1);
    expect((await call('GET', '/api/dashboard/', inA.token)).statusCode).toBe(200);
    const notices = await call('GET', '/api/notifications/', inA.token);
    expect(notices.statusCode).toBe(200);
    const ids = (notices.json().results as { id: number }[]).map((n) => String(n.id));
    expect(ids).not.toContain(noticeInB!.id);
    expect((await call('GET', `/api/notifications/${noticeInB!.id}/`, inA.token)).statusCode).toBe(404);
  });

  it('switching to B issues tokens for B, with B\'s role; the A session keeps working in A', async () => {
    const res = await switchTo(inA.token, Number(b.id));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.user.organization).toBe(Number(b.id));
    expect(body.user.role).toMatchObject({ name: ROLE_NAMES.verifier });
    expect(body).toMatchObject({ requires_otp: false, access: expect.any(String), refresh: expect.any(String), token: expect.any(String) });
    expect(claims(body.access).org).toBe(b.id);
    inB = { id: body.user.id, email: person.email, token: body.token, access: body.access, refresh: body.refresh };

    const profile = await call('GET', '/api/auth/profile/', inB.token);
    expect(profile.json().organization).toBe(Number(b.id));
    const notices = await call('GET', '/api/notifications/', `${inB.access}`);
    expect(notices.json().results.length).toBeGreaterThan(0);
    // B's deals are not P's to create there: a Verifier.
    expect((await call('POST', '/api/clients/', inB.token, { client_name: 'Nope', email: 'nope@example.test', phone_number: '+9779812345678' })).statusCode).toBe(403);
    // The A tokens still act in A only.
    expect((await call('GET', '/api/deals/', inA.token)).json().results.map((d: { id: number }) => d.id)).toEqual([Number(dealA.id)]);
    // A refreshed pair stays in its organisation.
    const refreshed = await call('POST', '/api/auth/refresh/', undefined, { refresh: inB.refresh });
    expect(refreshed.statusCode).toBe(200);
    expect(claims(refreshed.json().access).org).toBe(b.id);
  });

  it('the switch is audited in both organisations and recorded as a security event', async () => {
    const audit = await q<{ organization_id: string; new_values: { from: string; to: string } }>(
      sql`SELECT organization_id, new_values FROM audit_log WHERE entity = 'session' AND action = 'switch_organization' AND actor_id = ${person.id} ORDER BY organization_id`,
    );
    expect(audit.map((r) => r.organization_id).sort()).toEqual([a.id, b.id].sort());
    for (const row of audit) expect(row.new_values).toEqual({ from: a.id, to: b.id });
    const events = await q(sql`SELECT 1 FROM security_events WHERE event_type = 'organization_switched' AND user_id = ${person.id}`);
    expect(events).toHaveLength(1);
  });

  it('the next login lands in the organisation last switched to', async () => {
    const again = await login(t, person.email);
    expect(claims(again.access).org).toBe(b.id);
    const [row] = await q<{ last_organization_id: string }>(sql`SELECT last_organization_id FROM users WHERE id = ${person.id}`);
    expect(row!.last_organization_id).toBe(b.id);
  });

  it('switching is refused (404) for a foreign, pending or deactivated membership, an inactive organisation or a malformed id; 400 without one; 401 without a token', async () => {
    const sessionsBefore = await q(sql`SELECT id FROM auth_sessions WHERE user_id = ${person.id}`);
    expect((await switchTo(inA.token, Number(c.id))).statusCode).toBe(404);
    expect((await switchTo(inA.token, 'abc')).statusCode).toBe(404);
    expect((await switchTo(inA.token, 99_999_999)).statusCode).toBe(404);
    const pendingOrg = await createOrg(t, 'Multi Pending');
    await addMembership(person.id, pendingOrg, ROLE_NAMES.salesperson, 'pending');
    expect((await switchTo(inA.token, Number(pendingOrg.id))).statusCode).toBe(404);
    const closedOrg = await createOrg(t, 'Multi Closed');
    await addMembership(person.id, closedOrg, ROLE_NAMES.salesperson);
    await t.db.system((tx) => tx.execute(sql`UPDATE organizations SET is_active = false WHERE id = ${closedOrg.id}`));
    expect((await switchTo(inA.token, Number(closedOrg.id))).statusCode).toBe(404);
    const leftOrg = await createOrg(t, 'Multi Left');
    await addMembership(person.id, leftOrg, ROLE_NAMES.salesperson);
    await t.db.system((tx) => tx.execute(sql`UPDATE memberships SET is_active = false WHERE organization_id = ${leftOrg.id} AND user_id = ${person.id}`));
    expect((await switchTo(inA.token, Number(leftOrg.id))).statusCode).toBe(404);
    const missing = await switchTo(inA.token, undefined);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().organization).toBeDefined();
    expect((await switchTo(undefined, Number(b.id))).statusCode).toBe(401);
    expect(await q(sql`SELECT id FROM auth_sessions WHERE user_id = ${person.id}`)).toEqual(sessionsBefore);
  });

  it('X-Organization-Id: one of the person\'s organisations acts there with that role; any other is a 404 and changes nothing', async () => {
    const named = await withHeader(inA.token, b.id);
    expect(named.statusCode).toBe(200);
    expect(named.json().results.map((d: { id: number }) => d.id)).toContain(Number(dealB.id));
    expect((await withHeader(inA.token, b.id, 'GET', `/api/deals/${dealB.id}/`)).statusCode).toBe(200);
    // B's permissions, not A's: a Verifier may not create a client.
    expect((await withHeader(inA.token, b.id, 'POST', '/api/clients/', { client_name: 'Nope', email: 'nope2@example.test', phone_number: '+9779812345678' })).statusCode).toBe(403);
    // Its own organisation named is the same as none.
    expect((await withHeader(inA.token, a.id)).json().results.map((d: { id: number }) => d.id)).toEqual([Number(dealA.id)]);

    const before = await q(sql`SELECT id, deal_name FROM deals WHERE organization_id = ${c.id} ORDER BY id`);
    for (const [method, url] of [['GET', '/api/deals/'], ['GET', `/api/deals/${dealA.id}/`], ['GET', '/api/notifications/'], ['POST', '/api/clients/']] as const) {
      const res = await withHeader(inA.token, c.id, method, url, method === 'POST' ? { client_name: 'Foreign', email: 'foreign@example.test', phone_number: '+9779812345678' } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().detail).toBe('Organisation not found.');
    }
    expect((await withHeader(inA.token, 'not-an-id')).statusCode).toBe(404);
    const [pending] = await q<{ organization_id: string }>(sql`SELECT organization_id FROM memberships WHERE user_id = ${person.id} AND status = 'pending'`);
    expect((await withHeader(inA.token, pending!.organization_id)).statusCode).toBe(404);
    expect(await q(sql`SELECT id, deal_name FROM deals WHERE organization_id = ${c.id} ORDER BY id`)).toEqual(before);
    expect(await q(sql`SELECT 1 FROM clients WHERE email = 'foreign@example.test'`)).toEqual([]);
  });

  it('a token whose org claim differs from its session is refused', async () => {
    const jwt = new JwtService(t.config.secretKey, { access: 300, refresh: 600 });
    const sid = String(claims(inA.access).sid);
    const forged = await jwt.sign('access', person.id, sid, b.id);
    expect((await call('GET', '/api/deals/', forged)).statusCode).toBe(401);
    const honest = await jwt.sign('access', person.id, sid, a.id);
    expect((await call('GET', '/api/deals/', honest)).statusCode).toBe(200);
    const legacy = await jwt.sign('access', person.id, sid, null); // issued before the claim existed
    expect((await call('GET', '/api/deals/', legacy)).statusCode).toBe(200);
  });

  it('WebSocket: a socket follows the organisation its token or ws_token was issued for', async () => {
    const socketA = await SocketClient.open(`${base}/ws/notifications/?token=${inA.token}`);
    sockets.push(socketA);
    const issued = await withHeader(inA.token, b.id, 'POST', '/api/notifications/websocket-token/');
    expect(issued.statusCode, issued.body).toBe(200);
    const [stored] = await q<{ organization_id: string }>(sql`SELECT organization_id FROM ws_tokens WHERE user_id = ${person.id} ORDER BY created_at DESC LIMIT 1`);
    expect(stored!.organization_id).toBe(b.id);
    const socketB = await SocketClient.open(`${base}/ws/notifications/?ws_token=${issued.json().ws_token}`);
    sockets.push(socketB);
    await sleep(100);
    const payment = await recordPayment(t, b.users.sales, dealB.deal_id, '10.00');
    const frame = await socketB.next((f) => f.type === 'notification');
    expect(JSON.stringify(frame)).toContain(payment.transaction_id);
    await sleep(300);
    expect(socketA.notifications()).toEqual([]);
  });

  it('deactivating the A membership ends A for the person (tokens, header, sockets) and leaves B working', async () => {
    await t.db.system((tx) => tx.execute(sql`UPDATE memberships SET is_active = false WHERE organization_id = ${a.id} AND user_id = ${person.id}`));
    await t.app.actorCache.invalidate({ kind: 'membership', userId: person.id, orgId: a.id });
    expect((await call('GET', '/api/deals/', inA.token)).statusCode).toBe(401);
    expect((await call('GET', '/api/deals/', inB.token)).statusCode).toBe(200);
    expect((await withHeader(inB.token, a.id)).statusCode).toBe(404);
    await expect(SocketClient.open(`${base}/ws/notifications/?token=${inA.token}`)).rejects.toThrow();
    const again = await login(t, person.email);
    expect(claims(again.access).org).toBe(b.id);
    expect((await switchTo(inB.token, Number(a.id))).statusCode).toBe(404);
    // The client the person created in A stays A's.
    expect((await createClient(t, a.users.sales.token)).id).toBeDefined();
  });
});
