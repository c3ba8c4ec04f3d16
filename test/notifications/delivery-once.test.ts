// A notification reaches a user's live client once (issue 12): the web client opens three
// sockets within a second, and each connect used to replay every unread notification. Over real
// sockets: simultaneous connects share one catch-up, a live push is not replayed by a later
// connect, an offline notification arrives on the next connect once, and a connection that drops
// before confirming what it was sent loses nothing.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/db/database.ts';
import { claimUnpushed } from '../../src/modules/notifications/delivery.ts';
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

/** Opens a socket the way the web client does (a fresh ws_token) and waits for its catch-up. */
async function connect(user: TestUser, options: { answerPings?: boolean } = {}): Promise<SocketClient> {
  const socket = await SocketClient.open(`${base}/ws/notifications/?ws_token=${await wsToken(user)}`, { autoPong: options.answerPings ?? true });
  open.push(socket);
  await socket.next((f) => f.type === 'notification_batch');
  return socket;
}

/** Payment ids of every notification a socket received, from catch-up batches and live frames. */
function received(socket: SocketClient): string[] {
  const items = socket.frames.flatMap((f: Frame) => (f.type === 'notification_batch' ? (f.notifications as unknown[]) : f.type === 'notification' ? [f.notification] : []));
  return (items as { related_object_id: string }[]).map((n) => n.related_object_id);
}

const count = (ids: string[], id: string) => ids.filter((x) => x === id).length;

async function payments(n: number): Promise<string[]> {
  const deal = await dealOf(t, org.users.sales);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await recordPayment(t, org.users.sales, deal.deal_id, `${100 + i}.00`)).id);
  return ids;
}

/** Waits until the user's notification of a payment counts as pushed (the client confirmed it). */
async function confirmed(user: TestUser, paymentId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await t.db.system((tx) =>
      rows<{ pushed: boolean }>(tx, sql`SELECT pushed_at IS NOT NULL AS pushed FROM notifications WHERE recipient_id = ${user.id} AND related_object_id = ${paymentId}`),
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

  it('a notification pushed live is not repeated by a later connect; every open socket (tab) gets it live once', async () => {
    const user = await newVerifier();
    const [tab1, tab2] = [await connect(user), await connect(user)];
    const [live] = await payments(1);
    await tab1.next((f) => f.type === 'notification', 1000);
    await tab2.next((f) => f.type === 'notification', 1000);
    await confirmed(user, live!);

    const later = await connect(user);
    await sleep(200);
    expect(count(received(later), live!)).toBe(0);
    expect(count(received(tab1), live!)).toBe(1);
    expect(count(received(tab2), live!)).toBe(1);
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
    const scope = { orgId: org.id, userId: user.id };
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let claimed!: (ids: string[]) => void;
    const first = new Promise<string[]>((r) => (claimed = r));
    const holder = t.db.tenant(scope, async (tx) => {
      claimed((await claimUnpushed(tx, scope, 100)).rows.map((n) => n.related_object_id!));
      await committing;
    });
    expect((await first).sort()).toEqual([...unread].sort());
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
