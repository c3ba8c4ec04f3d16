// GET /api/health/ and Redis: without REDIS_URL Redis is `not_configured` and does not count;
// with REDIS_URL pointing at a closed port the application still starts at once, answers 503
// (`redis: unavailable`, database ok) and notifying requests neither wait for Redis nor lose the
// push to this process's own sockets; with a real redis-server (gated like the fan-out suite)
// health follows Redis going away and coming back, and the subscription is made even when Redis
// only appears after the application started.
//
// The actor cache (src/core/http/auth.ts) holds a Redis connection of its own; it is off by default
// under NODE_ENV=test, so the start-up test turns it on, as in production: both connections
// must let the application start without Redis.
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { presentNotification } from '../../src/core/notifications/present.ts';
import { REALTIME_CHANNEL } from '../../src/core/realtime/redis.ts';
import { createTestApp, testConfig, type TestApp } from '../support/app.ts';
import { createOrg } from '../support/identity.ts';
import { freePort, REDIS_BINARY, REDIS_WANTED, startRedis, stopRedis } from '../support/redis.ts';
import { dealOf, recordPayment, sleep, SocketClient } from '../notifications/helpers.ts';

const apps: TestApp[] = [];
const sockets: SocketClient[] = [];
const redisProcesses: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  for (const t of apps) await t.close();
  for (const p of redisProcesses) await stopRedis(p);
});

async function app(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  apps.push(t);
  return t;
}

const health = async (t: TestApp) => {
  const res = await t.app.inject({ method: 'GET', url: '/api/health/' });
  return { code: res.statusCode, body: res.json() as Record<string, unknown> };
};

/** Polls health until it answers `code` (Redis clients reconnect with a growing back-off, ≤ 2 s). */
async function healthBecomes(t: TestApp, code: number, ms = 8000) {
  const until = Date.now() + ms;
  let last = await health(t);
  while (last.code !== code && Date.now() < until) {
    await sleep(100);
    last = await health(t);
  }
  return last;
}

async function socketOf(t: TestApp, token: string) {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const socket = await SocketClient.open(`ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/ws/notifications/?token=${token}`);
  sockets.push(socket);
  await socket.next((f) => f.type === 'notification_batch');
  return socket;
}

describe('health without Redis configured', () => {
  it('answers 200 with every field, Redis not_configured', async () => {
    const t = await app();
    const res = await health(t);
    expect(res.code).toBe(200);
    expect(res.body).toEqual({
      status: 'ok', database: 'ok', database_kind: expect.stringMatching(/^(pglite|postgres)$/), redis: 'not_configured',
      version: expect.any(String), uptime_seconds: expect.any(Number),
      checks: { database: 'ok', event_loop: 'ok', event_loop_delay_ms: expect.any(Number), draining: false }, reasons: [],
    });
  });
});

/** The actor cache on, as in production (see above). */
const ACTOR_CACHE_ON = { AUTH_CACHE_TTL_MS: '30000' };

describe('health with REDIS_URL pointing at a closed port', () => {
  it('the application starts at once and answers 503, Redis unavailable, the database still ok', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const t = await app({ REDIS_URL: url, ...ACTOR_CACHE_ON });
    // Building and starting another instance over the same database: no hang, no crash.
    const started = Date.now();
    const second = await buildApp({ config: testConfig({ REDIS_URL: url, ...ACTOR_CACHE_ON }), db: t.db, logger: false });
    await second.ready();
    // Generous for a loaded machine; what matters is that it is bounded (ioredis waits 10 s per attempt on a silent host).
    expect(Date.now() - started).toBeLessThan(8000);
    await second.close();

    const res = await health(t);
    expect(res).toEqual({
      code: 503,
      body: { status: 'unhealthy', database: 'ok', database_kind: expect.any(String), redis: 'unavailable', version: expect.any(String), uptime_seconds: expect.any(Number),
        checks: expect.objectContaining({ database: 'ok' }), reasons: ['redis unavailable'] },
    });
  });

  it('a notifying request does not wait for Redis, and the push still reaches this process\'s socket', async () => {
    const t = await app({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const org = await createOrg(t, 'Redis Down Org');
    const verifier = await socketOf(t, org.users.verifier.token);
    const deal = await dealOf(t, org.users.sales);
    // Publishing while Redis is away delivers locally at once instead of queueing for the reconnects.
    const started = Date.now();
    // Inside PRS ids are the database's decimal strings (a test user's id is the login answer's integer).
    await t.app.realtime.publish({ type: 'unread_count', userId: String(org.users.verifier.id), orgId: org.id, count: 42 });
    expect(Date.now() - started).toBeLessThan(250);
    await verifier.next((f) => f.type === 'unread_count' && f.count === 42, 1000);
    const payment = await recordPayment(t, org.users.sales, deal.deal_id, '321.00');
    const frame = await verifier.next((f) => f.type === 'notification' && (f.notification as { related_object_id?: number }).related_object_id === payment.id, 1000);
    expect(frame.notification).toMatchObject({ notification_type: 'payment_received' });
  });
});

describe.skipIf(!REDIS_BINARY && !REDIS_WANTED)('health with a real redis-server', () => {
  it('Redis appearing after start, going away and coming back: health and the subscription follow', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const t = await app({ REDIS_URL: url });
    expect((await health(t)).body).toMatchObject({ status: 'unhealthy', redis: 'unavailable' });

    let redis = await startRedis(port);
    redisProcesses.push(redis.process);
    expect(await healthBecomes(t, 200)).toMatchObject({ code: 200, body: { status: 'ok', database: 'ok', redis: 'ok' } });

    // The application subscribed once Redis appeared: an event published by another process reaches its socket.
    const org = await createOrg(t, 'Redis Health Org');
    const socket = await socketOf(t, org.users.sales.token);
    const publisher = new Redis(url);
    publisher.on('error', () => undefined); // it reconnects on its own while Redis is stopped
    try {
      // An event as another process publishes it: a presented notification, ids as decimal strings.
      const probe = async (id: number) => {
        const now = new Date();
        const notification = presentNotification({
          id: String(id), recipient_id: String(org.users.sales.id), organization_id: org.id, notification_type: 'probe', priority: 'low', category: 'system',
          title: 'probe', message: 'probe', data: {}, action_url: null, related_object_type: null, related_object_id: null, is_read: false, read_at: null, created_at: now, updated_at: now,
        });
        await publisher.publish(REALTIME_CHANNEL, JSON.stringify({ type: 'notification', userId: String(org.users.sales.id), orgId: org.id, notification }));
        await socket.next((f) => f.type === 'notification' && (f.notification as { id?: number }).id === id, 2000);
      };
      await probe(900000000000);

      await stopRedis(redis.process);
      expect(await healthBecomes(t, 503, 2000)).toMatchObject({ code: 503, body: { status: 'unhealthy', database: 'ok', redis: 'unavailable' } });

      redis = await startRedis(port);
      redisProcesses.push(redis.process);
      expect(await healthBecomes(t, 200)).toMatchObject({ code: 200, body: { redis: 'ok' } });
      // ioredis re-subscribes after the reconnect: retry the probe until the subscription is back.
      for (let i = 0; ; i++) {
        try {
          await probe(900000000001 + i);
          break;
        } catch (err) {
          if (i >= 20) throw err;
        }
      }
    } finally {
      publisher.disconnect();
    }
  });
});
