// Fan-out between processes through Redis pub/sub: two application instances on one database,
// each with its own hub; a notification created through instance A reaches a socket connected
// to instance B, and of one auth session's sockets, wherever they are, only the newest gets it
// (the fleet's socket directory travels on the same channel). A real redis-server (Debian's
// package) is started on a free port. The suite runs when the binary exists or REDIS_TEST=1
// (then a missing binary is a failure); see test/support/redis.ts.
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import { REALTIME_CHANNEL, type FleetMessage } from '../../src/core/realtime/redis.ts';
import { testConfig, type TestApp } from '../support/app.ts';
import { createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { REDIS_BINARY as BINARY, REDIS_WANTED as wanted, startRedis } from '../support/redis.ts';
import { dealOf, notificationsApp, recordPayment, sleep, SocketClient, type Frame } from './helpers.ts';

const isPayment = (id: number) => (f: Frame) => f.type === 'notification' && (f.notification as { related_object_id?: number }).related_object_id === id;
/** Payment ids of the live pushes a socket received. */
const pushed = (socket: SocketClient): number[] => socket.notifications().map((n) => n.related_object_id as number);

describe.skipIf(!BINARY && !wanted)('Redis fan-out between two instances', () => {
  let redis: { url: string; process: ChildProcess };
  let a: TestApp;
  let b: AppInstance;
  let local: AppInstance;
  let org: TestOrg;
  const sockets: SocketClient[] = [];
  const wsBase = (app: AppInstance) => `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    redis = await startRedis();
    a = await notificationsApp({ REDIS_URL: redis.url });
    // Instance B: another application over the same database, with its own hub.
    b = await buildApp({ config: testConfig({ REDIS_URL: redis.url }), db: a.db, logger: false });
    // And one without Redis, to show that a hub alone reaches only its own process.
    local = await buildApp({ config: testConfig(), db: a.db, logger: false });
    for (const app of [a.app, b, local]) await app.listen({ port: 0, host: '127.0.0.1' });
    org = await createOrg(a, 'Redis Org');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await b?.close();
    await local?.close();
    await a?.close();
    redis?.process.kill();
  });

  async function connect(app: AppInstance, token: string) {
    const socket = await SocketClient.open(`${wsBase(app)}/ws/notifications/?token=${token}`);
    sockets.push(socket);
    await socket.next((f) => f.type === 'notification_batch');
    return socket;
  }

  it('a notification created through instance A reaches the socket on instance B, once, within a second', async () => {
    // Two sessions of the verifier (each session gets its own push): one on B, one on A.
    const onB = await connect(b, org.users.verifier.token);
    const onA = await connect(a.app, (await login(a, org.users.verifier.email)).token);
    const onLocal = await connect(local, org.users.verifier.token);
    const bystander = await connect(b, org.users.sales.token);
    const deal = await dealOf(a, org.users.sales);
    const started = Date.now();
    const payment = await recordPayment(a, org.users.sales, deal.deal_id, '999.00');
    await onB.next(isPayment(payment.id), 1000);
    await onA.next(isPayment(payment.id), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(300);
    expect(onB.frames.filter(isPayment(payment.id))).toHaveLength(1);
    expect(onA.frames.filter(isPayment(payment.id))).toHaveLength(1);
    expect(onLocal.frames.filter(isPayment(payment.id))).toHaveLength(0); // no Redis, no fan-out
    expect(bystander.frames.filter(isPayment(payment.id))).toHaveLength(0);
  });

  /** A new verifier of the organisation, signed in once (one session). */
  async function newVerifier(): Promise<TestUser> {
    return login(a, (await insertTestUser(a, { orgId: org.id, roleId: org.roles.get('Verifier') })).email);
  }

  async function payment(): Promise<number> {
    const deal = await dealOf(a, org.users.sales);
    return (await recordPayment(a, org.users.sales, deal.deal_id, '10.00')).id;
  }

  it('one session\'s sockets spread over both instances: one push in total, on the newest, wherever it is; a close moves it on', async () => {
    const user = await newVerifier();
    const s1 = await connect(a.app, user.token);
    const s2 = await connect(b, user.token);
    const s3 = await connect(a.app, user.token);
    await sleep(100); // the announcements have gone round

    const p1 = await payment();
    await s3.next(isPayment(p1), 1000);
    await sleep(300);
    expect([pushed(s1), pushed(s2), pushed(s3)]).toEqual([[], [], [p1]]);

    await s3.close();
    await sleep(200);
    const p2 = await payment(); // created through A, delivered by B
    await s2.next(isPayment(p2), 1000);
    await sleep(300);
    expect([pushed(s1), pushed(s2)]).toEqual([[], [p2]]);

    await s2.close();
    await sleep(200);
    const p3 = await payment();
    await s1.next(isPayment(p3), 1000);
    await sleep(300);
    expect(pushed(s1)).toEqual([p3]);
  });

  describe('the fleet directory on the channel', () => {
    let raw: Redis;
    let listener: Redis;
    const heard: FleetMessage[] = [];
    beforeAll(async () => {
      raw = new Redis(redis.url);
      listener = new Redis(redis.url);
      await listener.subscribe(REALTIME_CHANNEL);
      listener.on('message', (_channel: string, text: string) => heard.push(JSON.parse(text) as FleetMessage));
    });
    afterAll(() => {
      raw?.disconnect();
      listener?.disconnect();
    });
    const say = (message: FleetMessage) => raw.publish(REALTIME_CHANNEL, JSON.stringify(message));
    async function heardThat(test: (m: FleetMessage) => boolean): Promise<FleetMessage> {
      for (let i = 0; i < 100; i++) {
        const found = heard.find(test);
        if (found) return found;
        await sleep(20);
      }
      throw new Error(`not heard; heard ${JSON.stringify(heard).slice(0, 600)}`);
    }

    it('a newer socket of the session held by another process takes the push; its goodbye gives it back', async () => {
      const user = await newVerifier();
      heard.length = 0;
      const here = await connect(b, user.token);
      const opened = (await heardThat((m) => m.type === 'socket_open')) as Extract<FleetMessage, { type: 'socket_open' }>;
      const sessionId = opened.socket.sessionId;
      // Another process (played here) holds a newer socket of the same session.
      await say({ type: 'socket_open', process: 'elsewhere', socket: { key: 'elsewhere:000000000001', sessionId, orgId: org.id, openedAt: Date.now() + 1000 } });
      await sleep(100);
      const p1 = await payment();
      await sleep(500);
      expect(pushed(here)).toEqual([]); // the other process's socket has it

      await say({ type: 'bye', process: 'elsewhere' });
      await sleep(100);
      const p2 = await payment();
      await here.next(isPayment(p2), 1000);
      expect(pushed(here)).toEqual([p2]);
      expect(p1).not.toBe(p2);
    });

    it('a process whose count differs is asked for its list; a request is answered with this process\'s sockets', async () => {
      await say({ type: 'alive', process: 'forgetful', count: 2 });
      expect(await heardThat((m) => m.type === 'presence_request' && m.of === 'forgetful')).toBeTruthy();

      const user = await newVerifier();
      await connect(a.app, user.token);
      heard.length = 0;
      await say({ type: 'presence_request', process: 'curious', of: null });
      const list = (await heardThat((m) => m.type === 'presence' && m.sockets.length > 0)) as Extract<FleetMessage, { type: 'presence' }>;
      expect(list.sockets[0]).toMatchObject({ key: expect.any(String), sessionId: expect.any(String), openedAt: expect.any(Number) });
    });
  });
});
