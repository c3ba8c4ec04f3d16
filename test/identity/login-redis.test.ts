// Login counters across processes (issue 13, defect 9): with REDIS_URL two application instances
// share one budget per e-mail and address, through a real redis-server (gated like the fan-out
// suites; CI sets REDIS_TEST=1); with Redis unreachable — from the start or going away — login
// keeps working on in-process counters, never a 500.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import { createTestApp, testConfig, type TestApp } from '../support/app.ts';
import { PASSWORD, createOrg, insertTestUser } from '../support/identity.ts';
import { freePort, REDIS_BINARY, REDIS_WANTED, startRedis, stopRedis } from '../support/redis.ts';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** An application instance and a second process's instance over the same database. */
async function twoInstances(env: Record<string, string>): Promise<{ t: TestApp; apps: [AppInstance, AppInstance] }> {
  const t = await createTestApp({ env: { TRUST_PROXY: 'true', ...env } });
  closers.push(() => t.close());
  const second = await buildApp({ config: testConfig({ TRUST_PROXY: 'true', ...env }), db: t.db, logger: false });
  await second.ready();
  closers.push(() => second.close());
  return { t, apps: [t.app, second] };
}

const login = (app: AppInstance, email: string, password: string, ip: string) =>
  app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email, password }, headers: { 'x-forwarded-for': ip } });

async function someone(t: TestApp) {
  const org = await createOrg(t);
  return insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Salesperson') });
}

describe.skipIf(!REDIS_BINARY && !REDIS_WANTED)('login counters over a real redis-server', () => {
  let redis: ChildProcess;
  closers.push(async () => {
    if (redis) await stopRedis(redis);
  });

  it('two instances share one budget per e-mail and address; the owner elsewhere is not stopped', async () => {
    const server = await startRedis();
    redis = server.process;
    const { t, apps } = await twoInstances({ REDIS_URL: server.url });
    const u = await someone(t);
    for (let i = 0; i < 5; i++) expect((await login(apps[i % 2]!, u.email, 'Wrong-Password-1!', '10.9.0.1')).statusCode).toBe(401);
    for (const app of apps) expect((await login(app, u.email, PASSWORD, '10.9.0.1')).statusCode).toBe(429);
    expect((await login(apps[1], u.email, PASSWORD, '10.9.0.2')).statusCode).toBe(200);

    const probe = new Redis(server.url);
    expect(await probe.get(`prs:counter:login:pair:${u.email}|10.9.0.1`)).toBe('5');
    expect(await probe.pttl(`prs:counter:login:pair:${u.email}|10.9.0.1`)).toBeGreaterThan(0);
    probe.disconnect();

    // Redis goes away: logins go on, counted in each process.
    await stopRedis(redis);
    expect((await login(apps[0], u.email, 'Wrong-Password-1!', '10.9.0.3')).statusCode).toBe(401);
    expect((await login(apps[0], u.email, PASSWORD, '10.9.0.3')).statusCode).toBe(200);
  });
});

describe('login with REDIS_URL pointing at a closed port', () => {
  it('answers as usual and throttles in memory', async () => {
    const { t, apps } = await twoInstances({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const u = await someone(t);
    expect((await login(apps[0], u.email, PASSWORD, '10.8.0.1')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(apps[0], u.email, 'Wrong-Password-1!', '10.8.0.1')).statusCode).toBe(401);
    expect((await login(apps[0], u.email, PASSWORD, '10.8.0.1')).statusCode).toBe(429);
    // The other process counted nothing: without Redis each counts its own.
    expect((await login(apps[1], u.email, PASSWORD, '10.8.0.1')).statusCode).toBe(200);
  });
});
