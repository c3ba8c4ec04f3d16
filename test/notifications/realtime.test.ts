// /ws/notifications/ over real sockets: a payment recorded through HTTP reaches the verifiers'
// sockets within a second; an offline client receives it on reconnect; nobody else's socket
// ever does; tokens (ws_token single use, access JWT, session token) and the client's frames.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.ts';
import { createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { caller, dealOf, notificationsApp, recordPayment, sleep, SocketClient, type Frame } from './helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let base: string;
let call: ReturnType<typeof caller>;
const open: SocketClient[] = [];

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  a = await createOrg(t, 'Live Alpha');
  b = await createOrg(t, 'Live Beta');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await t.close();
});

async function wsToken(user: TestUser): Promise<string> {
  const res = await call('POST', '/api/notifications/websocket-token/', user.token, {});
  expect(res.statusCode, res.body).toBe(200);
  return res.json().ws_token as string;
}

async function connect(query: string): Promise<SocketClient> {
  const socket = await SocketClient.open(`${base}/ws/notifications/?${query}`);
  open.push(socket);
  await socket.next((f) => f.type === 'notification_batch');
  return socket;
}

/** The user's notifications as the REST list answers them. */
async function listed(user: TestUser): Promise<Record<string, unknown>[]> {
  const res = await call('GET', '/api/notifications/?page=1&limit=100', user.token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().results as Record<string, unknown>[];
}

const isPaymentNotice = (paymentId: number) => (f: Frame) => f.type === 'notification' && (f.notification as { related_object_id?: number }).related_object_id === paymentId;

describe('live delivery', () => {
  it('a verifier\'s socket receives the payment notification within a second; others never do', async () => {
    const verifier = await connect(`ws_token=${await wsToken(a.users.verifier)}`);
    const salesperson = await connect(`token=${a.users.sales.token}`);
    const otherOrgVerifier = await connect(`token=${b.users.verifier.access}`);
    const otherOrgAdmin = await connect(`ws_token=${await wsToken(b.users.admin)}`);
    const deal = await dealOf(t, a.users.sales);

    const started = Date.now();
    const payment = await recordPayment(t, a.users.sales, deal.deal_id, '1200.00');
    const frame = await verifier.next(isPaymentNotice(payment.id), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(frame.notification).toMatchObject({
      notification_type: 'payment_received', priority: 'high', category: 'business', is_read: false,
      action_url: `/verifier/verifier-form/${payment.id}`, title: 'Payment received: 1200.00 USD', received_at: expect.any(String),
    });
    // Exactly the REST item (ids as JSON integers, the same fields), plus received_at.
    const { received_at: _received, ...pushed } = frame.notification as Record<string, unknown>;
    const [rest] = (await listed(a.users.verifier)).filter((n) => n.related_object_id === payment.id);
    expect(pushed).toEqual(rest);
    expect(pushed).toMatchObject({ id: expect.any(Number), organization_id: Number(a.id), related_object_id: payment.id, data: expect.objectContaining({ payment_id: payment.id }) });
    expect(payment.id).toEqual(expect.any(Number));
    // The greeting names the user and organisation by their integer ids as well.
    expect(verifier.frames[0]).toMatchObject({ type: 'connection_established', user_id: Number(a.users.verifier.id), organization_id: Number(a.id) });
    expect(verifier.frames[0]!.user_id).toEqual(expect.any(Number));

    await sleep(300);
    for (const socket of [salesperson, otherOrgVerifier, otherOrgAdmin]) {
      expect(socket.notifications().filter((n) => n.related_object_id === payment.id)).toEqual([]);
    }
    // The deal owner hears about the decision, the verifier does not hear about their own act.
    const decided = await call('POST', `/api/verifier/verify/${payment.id}/`, a.users.verifier.token, { status: 'approved', verified_amount: '1200.00' });
    expect(decided.statusCode, decided.body).toBe(200);
    const verdict = await salesperson.next((f) => f.type === 'notification' && (f.notification as { notification_type: string }).notification_type === 'payment_verified', 1000);
    expect(verdict.notification).toMatchObject({ related_object_id: payment.id, title: `Payment ${payment.transaction_id} verified` });
    await sleep(200);
    expect(verifier.notifications().filter((n) => n.notification_type === 'payment_verified')).toEqual([]);
    expect(otherOrgVerifier.notifications()).toEqual([]);
  });

  it('a client that was offline receives what it missed on reconnect, as a notification_batch', async () => {
    // A verifier with no other socket open (an open one would have received it live).
    const user = await login(t, (await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Verifier') })).email);
    const verifier = await connect(`token=${user.token}`);
    await verifier.close();
    const deal = await dealOf(t, a.users.sales);
    const missed = await recordPayment(t, a.users.sales, deal.deal_id, '300.00');

    const back = await connect(`ws_token=${await wsToken(user)}`);
    const batch = await back.next((f) => f.type === 'notification_batch');
    const ids = (batch.notifications as { related_object_id: number }[]).map((n) => n.related_object_id);
    expect(ids).toContain(missed.id);
    expect(batch.count).toBe(ids.length);
    // A catch-up item is the REST item too.
    const item = (batch.notifications as Record<string, unknown>[]).find((n) => n.related_object_id === missed.id);
    expect(item).toEqual((await listed(user)).find((n) => n.related_object_id === missed.id));
    expect(item!.id).toEqual(expect.any(Number));
    expect(await back.next((f) => f.type === 'unread_count')).toMatchObject({ count: expect.any(Number) });

    // With ?since= only what came later, read or not.
    const cutoff = new Date().toISOString();
    await sleep(20);
    const later = await recordPayment(t, a.users.sales, deal.deal_id, '301.00');
    const since = await connect(`token=${user.token}&since=${encodeURIComponent(cutoff)}`);
    const sinceBatch = await since.next((f) => f.type === 'notification_batch');
    expect((sinceBatch.notifications as { related_object_id: number }[]).map((n) => n.related_object_id)).toEqual([later.id]);
  });

  it('answers ping, get_unread_count, mark_as_read and bad JSON; other tabs learn the new count', async () => {
    const user = await login(t, (await insertTestUser(t, { orgId: a.id, roleId: a.roles.get('Verifier') })).email);
    const deal = await dealOf(t, a.users.sales);
    await recordPayment(t, a.users.sales, deal.deal_id, '10.00');
    const tab1 = await connect(`token=${user.token}`);
    const tab2 = await connect(`token=${user.access}`);
    const [unread] = tab1.frames.filter((f) => f.type === 'notification_batch').flatMap((f) => f.notifications as { id: number }[]);
    expect(unread!.id).toEqual(expect.any(Number));

    tab1.send({ type: 'ping' });
    expect(await tab1.next((f) => f.type === 'pong')).toMatchObject({ timestamp: expect.any(String) });
    tab1.send({ type: 'get_unread_count' });
    expect(await tab1.next((f) => f.type === 'unread_count' && f.count === 1)).toBeTruthy();
    tab1.send({ type: 'mark_as_read', notification_id: unread!.id });
    expect(await tab1.next((f) => f.type === 'mark_as_read_response')).toMatchObject({ notification_id: unread!.id, success: true });
    expect(await tab2.next((f) => f.type === 'unread_count' && f.count === 0)).toBeTruthy();
    tab1.send({ type: 'mark_as_read', notification_id: 'nope' });
    expect(await tab1.next((f) => f.type === 'mark_as_read_response' && f.notification_id === 'nope')).toMatchObject({ success: false });
    tab1.ws.send('{not json');
    expect(await tab1.next((f) => f.type === 'error')).toMatchObject({ message: 'Invalid JSON format' });
    expect((await call('GET', '/api/notifications/unread_count/', user.token)).json()).toEqual({ unread_count: 0 });
  });
});

describe('socket authentication', () => {
  it('refuses a missing, bad, reused or foreign token with HTTP 401 before the upgrade', async () => {
    await expect(SocketClient.open(`${base}/ws/notifications/`)).rejects.toThrow('HTTP 401');
    await expect(SocketClient.open(`${base}/ws/notifications/?token=garbage-token-0123456789abcdef`)).rejects.toThrow('HTTP 401');
    await expect(SocketClient.open(`${base}/ws/notifications/?ws_token=garbage-token-0123456789abcdef`)).rejects.toThrow('HTTP 401');
    const once = await wsToken(a.users.member);
    await connect(`ws_token=${once}`);
    await expect(SocketClient.open(`${base}/ws/notifications/?ws_token=${once}`)).rejects.toThrow('HTTP 401');
    // A ws_token is not a session token, and a session token is not a ws_token.
    await expect(SocketClient.open(`${base}/ws/notifications/?token=${await wsToken(a.users.member)}`)).rejects.toThrow('HTTP 401');
    await expect(SocketClient.open(`${base}/ws/notifications/?ws_token=${a.users.member.token}`)).rejects.toThrow('HTTP 401');
  });

  it('a logged-out session\'s token no longer opens a socket', async () => {
    const user = await login(t, (await insertTestUser(t, { orgId: b.id, roleId: b.roles.get('Salesperson') })).email);
    const token = await wsToken(user);
    expect((await call('POST', '/api/auth/logout/', user.token, {})).statusCode).toBeLessThan(300);
    await expect(SocketClient.open(`${base}/ws/notifications/?ws_token=${token}`)).rejects.toThrow('HTTP 401');
    await expect(SocketClient.open(`${base}/ws/notifications/?token=${user.token}`)).rejects.toThrow('HTTP 401');
  });
});
