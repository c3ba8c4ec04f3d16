// Fan-out between processes through Redis pub/sub: two application instances on one database,
// each with its own hub; a notification created through instance A reaches a socket connected
// to instance B. A real redis-server (Debian's package) is started on a free port. The suite
// runs when the binary exists or REDIS_TEST=1 (then a missing binary is a failure); see test/support/redis.ts.
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { AppInstance } from '../../src/http/types.ts';
import { testConfig, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { REDIS_BINARY as BINARY, REDIS_WANTED as wanted, startRedis } from '../support/redis.ts';
import { dealOf, notificationsApp, recordPayment, sleep, SocketClient, type Frame } from './helpers.ts';

const isPayment = (id: string) => (f: Frame) => f.type === 'notification' && (f.notification as { related_object_id?: string }).related_object_id === id;

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
    const onB = await connect(b, org.users.verifier.token);
    const onA = await connect(a.app, org.users.verifier.access);
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
});
