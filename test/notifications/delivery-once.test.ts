// A notification reaches a user's live client once (issue 12): the web client opens three
// sockets within a second, and each connect used to replay every unread notification and each
// socket showed every live one. Over real sockets: simultaneous connects share one catch-up, a
// live push goes to one socket per auth session (the newest; the next one when it closes) while
// every session gets it, a live push is not replayed by a later connect, an offline notification
// arrives on the next connect once, and a connection that drops before confirming what it was
// sent loses nothing.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { claimUnpushed } from '../../src/core/notifications/delivery.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { caller, dealOf, notificationsApp, recordPayment, sleep, SocketClient, type Frame } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
let base: string;
let call: ReturnType<typeof caller>;
const open: SocketClient[] = [];

beforeAll(async () => {
  t = await notificationsApp();
  call = caller(t);
  org = await createOrg(t, 'Once Org');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await t.close();
});

/** A new verifier: told of every payment recorded in the organisation from now on. */
async function newVerifier(): Promise<TestUser> {
  return login(t, (await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Verifier') })).email);
}

async function wsToken(user: TestUser): Promise<string> {
  const res = await call('POST', '/api/notifications/websocket-token/', user.token, {});
  expect(res.statusCode, res.body).toBe(200);
  return res.json().ws_token as string;
}

/** Opens a socket the way the web client does (a fresh ws_token of the user's session) and waits for its catch-up. */
async function connect(user: TestUser, options: { answerPings?: boolean } = {}): Promise<SocketClient> {
  const socket = await SocketClient.open(`${base}/ws/notifications/?ws_token=${await wsToken(user)}`, { autoPong: options.answerPings ?? true });
  open.push(socket);
  await socket.next((f) => f.type === 'notification_batch');
  return socket;
}

/** Payment ids of every notification a socket received, from catch-up batches and live frames. */
function received(socket: SocketClient): number[] {
  const items = socket.frames.flatMap((f: Frame) => (f.type === 'notification_batch' ? (f.notifications as unknown[]) : f.type === 'notification' ? [f.notification] : []));
  return (items as { related_object_id: number }[]).map((n) => n.related_object_id);
}

/** Payment ids of the live pushes (not catch-up) a socket received. */
const pushed = (socket: SocketClient): number[] => socket.notifications().map((n) => n.related_object_id as number);

const count = (ids: number[], id: number) => ids.filter((x) => x === id).length;

/** Payments recorded in the organisation; their ids as the API answers them (JSON integers). */
async function payments(n: number): Promise<number[]> {
  const deal = await dealOf(t, org.users.sales);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await recordPayment(t, org.users.sales, deal.deal_id, `${100 + i}.00`)).id);
  return ids;
}

/** Waits until the user's notification of a payment counts as pushed (the client confirmed it). */
async function confirmed(user: TestUser, paymentId: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await t.db.system((tx) =>
      rows<{ pushed: boolean }>(tx, sql`SELECT pushed_at IS NOT NULL AS pushed FROM notifications WHERE recipient_id = ${String(user.id)} AND related_object_id = ${String(paymentId)}`),
    );
    if (row?.pushed) return;
    await sleep(20);
  }
  throw new Error('the notification was never marked pushed');
}

describe('each notification reaches a user once', () => {
  it('three sockets opened at once receive each unread notification exactly once in total', async () => {
    const user = await newVerifier();
    const unread = await payments(3);
    const tokens = await Promise.all([1, 2, 3].map(() => wsToken(user)));
    const sockets = await Promise.all(tokens.map((token) => SocketClient.open(`${base}/ws/notifications/?ws_token=${token}`)));
    open.push(...sockets);
    await Promise.all(sockets.map((s) => s.next((f) => f.type === 'unread_count')));
    await sleep(300);

    const all = sockets.flatMap(received);
    for (const id of unread) expect(count(all, id), `payment ${id}`).toBe(1);
    // Every socket still learns how many are unread.
    for (const s of sockets) expect(s.frames.find((f) => f.type === 'unread_count')).toMatchObject({ count: 3 });
    // Nor does the next page load replay them.
    const later = await connect(user);
    await sleep(100);
    expect(received(later).filter((id) => unread.includes(id))).toEqual([]);
  });

  it('a notification pushed live is not repeated by a later connect', async () => {
    const user = await newVerifier();
    const socket = await connect(user);
    const [live] = await payments(1);
    await socket.next((f) => f.type === 'notification', 1000);
    await confirmed(user, live!);

    const later = await connect(user);
    await sleep(200);
    expect(count(received(later), live!)).toBe(0);
    expect(count(received(socket), live!)).toBe(1);
  });

  it('a notification created while no socket was open arrives on the next connect exactly once', async () => {
    const user = await newVerifier();
    await (await connect(user)).close();
    const [offline] = await payments(1);

    const next = await connect(user);
    expect(count(received(next), offline!)).toBe(1);
    // Delivery bookkeeping is no change of the notification.
    const item = (next.frames[1]!.notifications as { updated_at: string; created_at: string }[])[0]!;
    expect(item.updated_at).toBe(item.created_at);
    await confirmed(user, offline!);
    const after = await connect(user);
    await sleep(200);
    expect(count(received(next), offline!)).toBe(1);
    expect(count(received(after), offline!)).toBe(0);
  });

  it('a connection that drops before confirming its catch-up loses nothing: the rows go to the open socket, once', async () => {
    const user = await newVerifier();
    const [offline] = await payments(1);
    // Receives the catch-up but never answers a ping (its pongs are lost with the connection).
    const dying = await connect(user, { answerPings: false });
    expect(count(received(dying), offline!)).toBe(1);
    const other = await connect(user);
    expect(count(received(other), offline!)).toBe(0);

    dying.ws.terminate();
    const frame = await other.next((f) => f.type === 'notification', 1000);
    expect(frame.notification).toMatchObject({ related_object_id: offline });
    await confirmed(user, offline!);
    const later = await connect(user);
    await sleep(200);
    expect(count(received(other), offline!)).toBe(1);
    expect(count(received(later), offline!)).toBe(0);
  });

  it('a live push the dropped connection never confirmed is delivered by the next connect', async () => {
    const user = await newVerifier();
    const dying = await connect(user, { answerPings: false });
    const [live] = await payments(1);
    await dying.next((f) => f.type === 'notification', 1000);
    await sleep(100);
    dying.ws.terminate();

    const back = await connect(user);
    expect(count(received(back), live!)).toBe(1);
  });

  it('on PostgreSQL, a claim that waits for a concurrent one gets none of its rows', async () => {
    if (t.db.kind !== 'postgres') return; // PGlite has one connection: claims cannot overlap there
    const user = await newVerifier();
    const unread = await payments(2);
    const scope = { orgId: org.id, userId: String(user.id) };
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let claimed!: (ids: number[]) => void;
    const first = new Promise<number[]>((r) => (claimed = r));
    const holder = t.db.tenant(scope, async (tx) => {
      claimed((await claimUnpushed(tx, scope, 100)).rows.map((n) => Number(n.related_object_id)));
      await committing;
    });
    expect((await first).sort()).toEqual([...unread].sort());
    expect(unread.every((id) => typeof id === 'number')).toBe(true);
    const second = t.db.tenant(scope, (tx) => claimUnpushed(tx, scope, 100));
    // Commit only once the second claim waits on the first one's rows (pg_stat_activity hides the
    // query text from the application roles; a waiting lock of this database shows).
    for (let i = 0; i < 100; i++) {
      const [waiting] = await t.db.system((tx) =>
        rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()`),
      );
      if (waiting?.n) break;
      await sleep(50);
    }
    commit();
    await holder;
    expect((await second).rows).toEqual([]);
  });
});

describe('a live notification reaches each client (auth session) once', () => {
  it('three sockets of one session: one live push in total, on the newest; the next connect does not repeat it', async () => {
    const user = await newVerifier();
    const [s1, s2, s3] = [await connect(user), await connect(user), await connect(user)];
    const [live] = await payments(1);
    await s3.next((f) => f.type === 'notification', 1000);
    await sleep(300);
    expect([pushed(s1), pushed(s2), pushed(s3)]).toEqual([[], [], [live]]);
    await confirmed(user, live!);
    const later = await connect(user);
    await sleep(200);
    expect(count(received(later), live!)).toBe(0);
  });

  it('two sessions of the same user (two browsers) each get it once', async () => {
    const user = await newVerifier();
    const other = await login(t, user.email); // a second session of the same user
    expect(other.token).not.toBe(user.token);
    const first = [await connect(user), await connect(user)];
    const second = [await connect(other), await SocketClient.open(`${base}/ws/notifications/?token=${other.token}`)];
    open.push(second[1]!);
    await second[1]!.next((f) => f.type === 'notification_batch');
    const [live] = await payments(1);
    await first[1]!.next((f) => f.type === 'notification', 1000);
    await second[1]!.next((f) => f.type === 'notification', 1000);
    await sleep(300);
    expect(first.map(pushed)).toEqual([[], [live]]);
    expect(second.map(pushed)).toEqual([[], [live]]);
  });

  it('closing the chosen socket moves delivery to the next most recent one, then to the one left', async () => {
    const user = await newVerifier();
    const [s1, s2, s3] = [await connect(user), await connect(user), await connect(user)];
    const [p1] = await payments(1);
    await s3.next((f) => f.type === 'notification', 1000);
    await confirmed(user, p1!);
    await s3.close();
    await sleep(100); // the server has seen the close

    const [p2] = await payments(1);
    await s2.next((f) => f.type === 'notification', 1000);
    await confirmed(user, p2!);
    await s2.close();
    await sleep(100);

    const [p3] = await payments(1);
    await s1.next((f) => f.type === 'notification', 1000);
    await sleep(200);
    expect([pushed(s1), pushed(s2), pushed(s3)]).toEqual([[p3], [p2], [p1]]);
  });

  it('a chosen socket that drops before confirming a live push hands it to the session\'s remaining socket', async () => {
    const user = await newVerifier();
    const remaining = await connect(user);
    const dying = await connect(user, { answerPings: false });
    const [live] = await payments(1);
    await dying.next((f) => f.type === 'notification', 1000);
    await sleep(100);
    expect(pushed(remaining)).toEqual([]);

    dying.ws.terminate();
    const frame = await remaining.next((f) => f.type === 'notification', 1000);
    expect(frame.notification).toMatchObject({ related_object_id: live, id: expect.any(Number) });
    await confirmed(user, live!);
    await sleep(100);
    expect(pushed(remaining)).toEqual([live]);
  });

  it('an unread count still reaches every socket of the session (each tab\'s badge)', async () => {
    const user = await newVerifier();
    const [live] = await payments(1);
    const sockets = [await connect(user), await connect(user), await connect(user)];
    const listed = await call('GET', '/api/notifications/?page=1&limit=20', user.token);
    const item = (listed.json().results as { id: number; related_object_id: number }[]).find((n) => n.related_object_id === live);
    expect((await call('POST', `/api/notifications/${item!.id}/mark_as_read/`, user.token, {})).statusCode).toBe(200);
    for (const s of sockets) await s.next((f) => f.type === 'unread_count' && f.count === 0, 1000);
  });
});
