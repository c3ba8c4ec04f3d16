// The cache of resolved actors (src/core/auth/actor-cache.ts), turned on here
// (AUTH_CACHE_TTL_MS; the suite's default is off). Every case first makes the session cached and
// checks it was (the actor query is not run again), then changes something through the API and
// expects the very next request to see it. The actor-repo functions are wrapped in spies, so
// "served from the cache" means: no actor query ran.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import * as actorRepo from '../../src/core/auth/actor-repo.ts';
import { createTestApp, testConfig, type TestApp } from '../support/app.ts';
import { PASSWORD, createOrg, createSuperAdmin, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { REDIS_BINARY, REDIS_WANTED, startRedis, stopRedis } from '../support/redis.ts';

vi.mock('../../src/core/auth/actor-repo.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/auth/actor-repo.ts')>();
  return { ...real, findActorBySessionId: vi.fn(real.findActorBySessionId), findActorByTokenHash: vi.fn(real.findActorByTokenHash) };
});

// No refresh grace window: the reuse case presents a spent refresh token at once.
const CACHE_ON = { AUTH_CACHE_TTL_MS: '30000', JWT_REFRESH_GRACE_SECONDS: '0' };
const NEW_PASSWORD = 'Another-Horse-77!';
/** How many actor queries have run (both kinds). */
const actorQueries = () => vi.mocked(actorRepo.findActorBySessionId).mock.calls.length + vi.mocked(actorRepo.findActorByTokenHash).mock.calls.length;

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp({ env: CACHE_ON });
  org = await createOrg(t, 'Actor Cache Org');
});
afterAll(() => t.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, authorization: string, payload?: object, app: AppInstance = t.app) =>
  app.inject({ method, url, headers: { authorization }, ...(payload ? { payload } : {}) });
const profile = (authorization: string, app: AppInstance = t.app) => call('GET', '/api/auth/profile/', authorization, undefined, app).then((r) => r.statusCode);
const q = <T>(query: ReturnType<typeof sql>) => t.db.system((tx) => rows<T>(tx, query));

async function freshUser(role = 'Salesperson', orgId = org.id, roles = org.roles): Promise<TestUser> {
  const u = await insertTestUser(t, { orgId, roleId: roles.get(role) });
  // The database's id (a decimal string, as the cache keys it), not the login response's JSON integer.
  return { ...(await login(t, u.email)), id: u.id };
}

/** Authenticates once (filling the cache) and checks that a second request runs no actor query. */
async function cached(authorization: string, app: AppInstance = t.app) {
  expect(await profile(authorization, app)).toBe(200);
  const before = actorQueries();
  expect(await profile(authorization, app)).toBe(200);
  expect(actorQueries(), 'served from the cache').toBe(before);
}

describe('with the cache on', () => {
  it('repeated requests run the actor query once per session and token kind', async () => {
    const u = await freshUser();
    const before = actorQueries();
    for (let i = 0; i < 5; i++) expect(await profile(`Token ${u.token}`)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await profile(`Bearer ${u.access}`)).toBe(200);
    expect(actorQueries() - before).toBe(2);
  });

  it('a change made behind the API (direct SQL) is not seen until an invalidation: the cache is really used', async () => {
    const u = await freshUser();
    await cached(`Token ${u.token}`);
    await q(sql`UPDATE users SET is_active = false WHERE id = ${u.id}`);
    expect(await profile(`Token ${u.token}`)).toBe(200); // bounded by AUTH_CACHE_TTL_MS, see docs/decisions.md
    await t.app.actorCache.invalidate({ kind: 'user', id: u.id });
    expect(await profile(`Token ${u.token}`)).toBe(401);
  });

  it('checks the expiry from the cached expires_at on every request, without a query', async () => {
    const u = await freshUser();
    const started = Date.now();
    await q(sql`UPDATE auth_sessions SET expires_at = now() + interval '3 seconds' WHERE user_id = ${u.id}`);
    await cached(`Token ${u.token}`);
    await new Promise((r) => setTimeout(r, started + 3200 - Date.now()));
    const before = actorQueries();
    expect(await profile(`Token ${u.token}`)).toBe(401);
    expect(actorQueries()).toBe(before);
  });
});

describe('a cached session is refused on the very next request after', () => {
  it('logout (session token and JWT of the session alike)', async () => {
    const u = await freshUser();
    await cached(`Token ${u.token}`);
    await cached(`Bearer ${u.access}`);
    expect((await call('POST', '/api/auth/logout/', `Bearer ${u.access}`)).statusCode).toBe(200);
    expect(await profile(`Token ${u.token}`)).toBe(401);
    expect(await profile(`Bearer ${u.access}`)).toBe(401);
  });

  it('revocation of the session from another session of the same user', async () => {
    const u = await freshUser();
    const other = await login(t, u.email);
    await cached(`Token ${other.token}`);
    const sessions = (await call('GET', '/api/auth/sessions/', `Token ${u.token}`)).json() as { id: string; is_current_session: boolean }[];
    const target = sessions.find((s) => !s.is_current_session)!;
    expect((await call('DELETE', `/api/auth/sessions/${target.id}/`, `Token ${u.token}`)).statusCode).toBe(200);
    expect(await profile(`Token ${other.token}`)).toBe(401);
    expect(await profile(`Token ${u.token}`)).toBe(200);
  });

  it('refresh-token reuse, which revokes the session', async () => {
    const u = await freshUser();
    await cached(`Bearer ${u.access}`);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/refresh/', payload: { refresh: u.refresh } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/refresh/', payload: { refresh: u.refresh } })).statusCode).toBe(401);
    expect(await profile(`Bearer ${u.access}`)).toBe(401);
  });

  it('deactivation, by DELETE and by PATCH is_active=false', async () => {
    const deleted = await freshUser();
    const patched = await freshUser();
    await cached(`Token ${deleted.token}`);
    await cached(`Bearer ${patched.access}`);
    expect((await call('DELETE', `/api/auth/users/${deleted.id}/`, `Token ${org.users.admin.token}`)).statusCode).toBe(200);
    expect((await call('PATCH', `/api/auth/users/${patched.id}/`, `Token ${org.users.admin.token}`, { is_active: false })).statusCode).toBe(200);
    expect(await profile(`Token ${deleted.token}`)).toBe(401);
    expect(await profile(`Bearer ${patched.access}`)).toBe(401);
  });

  it("a password change, for the user's other sessions (the current one stays)", async () => {
    const u = await freshUser();
    const other = await login(t, u.email);
    await cached(`Token ${other.token}`);
    await cached(`Bearer ${other.access}`);
    const res = await call('POST', '/api/auth/password/change/', `Token ${u.token}`, { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(await profile(`Token ${other.token}`)).toBe(401);
    expect(await profile(`Bearer ${other.access}`)).toBe(401);
    expect(await profile(`Token ${u.token}`)).toBe(200);
  });

  it('deactivation of the organisation by a Super Admin', async () => {
    const other = await createOrg(t, 'Actor Cache Deactivated Org');
    const root = await createSuperAdmin(t);
    await cached(`Token ${other.users.sales.token}`);
    await cached(`Bearer ${other.users.admin.access}`);
    expect((await call('PATCH', `/api/organizations/${other.id}/`, `Token ${root.token}`, { is_active: false })).statusCode).toBe(200);
    expect(await profile(`Token ${other.users.sales.token}`)).toBe(401);
    expect(await profile(`Bearer ${other.users.admin.access}`)).toBe(401);
    expect(await profile(`Token ${org.users.sales.token}`)).toBe(200); // other organisations are untouched
  });
});

describe('permission changes take effect on the next request', () => {
  const auditLogs = (u: TestUser) => call('GET', '/api/audit/logs/', `Token ${u.token}`).then((r) => r.statusCode);

  it('a permission removed from a role, and given back', async () => {
    const scoped = await createOrg(t, 'Actor Cache Role Org');
    const verifier = scoped.users.verifier;
    const roleUrl = `/api/permissions/roles/${scoped.roles.get('Verifier')}/`;
    const admin = `Token ${scoped.users.admin.token}`;
    expect(await auditLogs(verifier)).toBe(200);
    await cached(`Token ${verifier.token}`);
    const codes = (await call('GET', roleUrl, admin)).json().permission_codes as string[];
    expect(codes).toContain('audit:view');
    expect((await call('PATCH', roleUrl, admin, { permissions: codes.filter((c) => c !== 'audit:view') })).statusCode).toBe(200);
    expect(await auditLogs(verifier)).toBe(403);
    expect((await call('PATCH', roleUrl, admin, { permissions: codes })).statusCode).toBe(200);
    expect(await auditLogs(verifier)).toBe(200);
  });

  it('a role assignment that takes the permission away', async () => {
    const u = await freshUser('Verifier');
    expect(await auditLogs(u)).toBe(200);
    await cached(`Token ${u.token}`);
    const res = await call('POST', '/api/permissions/roles/assign/', `Token ${org.users.admin.token}`, { user_id: u.id, role_id: org.roles.get('Salesperson')! });
    expect(res.json().summary).toMatchObject({ successful: 1 });
    expect(await auditLogs(u)).toBe(403);
  });
});

describe('last seen', () => {
  it('is still refreshed (at most every 5 minutes) for sessions served from the cache', async () => {
    // An instance whose entries outlive the 5-minute throttle, over the same database.
    const app = await buildApp({ config: testConfig({ AUTH_CACHE_TTL_MS: '600000' }), db: t.db, logger: false });
    try {
      const u = await freshUser();
      await cached(`Token ${u.token}`, app);
      const lastSeen = async () => (await q<{ at: string }>(sql`SELECT last_seen_at::text AS at FROM auth_sessions WHERE user_id = ${u.id}`))[0]!.at;
      await q(sql`UPDATE auth_sessions SET last_seen_at = '2000-01-01' WHERE user_id = ${u.id}`);
      expect(await profile(`Token ${u.token}`, app)).toBe(200);
      expect(await lastSeen()).toMatch(/^2000-01-01/); // refreshed recently: not written again
      const realNow = Date.now.bind(Date);
      const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 6 * 60_000);
      const before = actorQueries();
      try {
        expect(await profile(`Token ${u.token}`, app)).toBe(200);
      } finally {
        clock.mockRestore();
      }
      expect(actorQueries()).toBe(before); // still from the cache …
      expect(await lastSeen()).not.toMatch(/^2000-01-01/); // … and last_seen_at written
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!REDIS_BINARY && !REDIS_WANTED)('two instances sharing a Redis', () => {
  let redis: { url: string; process: ChildProcess };
  let a: TestApp;
  let b: AppInstance;
  let shared: TestOrg;

  beforeAll(async () => {
    redis = await startRedis();
    a = await createTestApp({ env: { ...CACHE_ON, REDIS_URL: redis.url } });
    b = await buildApp({ config: testConfig({ ...CACHE_ON, REDIS_URL: redis.url }), db: a.db, logger: false });
    await b.ready();
    shared = await createOrg(a, 'Actor Cache Redis Org');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (redis) await stopRedis(redis.process);
  });

  /** The other process hears of an invalidation through pub/sub, i.e. after Redis delivered it (well under a second). */
  async function refusedOn(app: AppInstance, authorization: string) {
    const started = Date.now();
    await vi.waitFor(async () => expect(await profile(authorization, app)).toBe(401), { timeout: 1000, interval: 2 });
    return Date.now() - started;
  }

  it('logout through one instance is refused on the other as soon as the message arrives', async () => {
    const u = shared.users.sales;
    await cached(`Token ${u.token}`, b);
    await cached(`Bearer ${u.access}`, b);
    expect((await call('POST', '/api/auth/logout/', `Token ${u.token}`, undefined, a.app)).statusCode).toBe(200);
    expect(await refusedOn(b, `Token ${u.token}`)).toBeLessThan(1000);
    expect(await profile(`Bearer ${u.access}`, b)).toBe(401);
  });

  it('a permission removed through one instance is refused on the other', async () => {
    const verifier = shared.users.verifier;
    const roleUrl = `/api/permissions/roles/${shared.roles.get('Verifier')}/`;
    await cached(`Token ${verifier.token}`, b);
    const codes = (await call('GET', roleUrl, `Token ${shared.users.admin.token}`, undefined, a.app)).json().permission_codes as string[];
    await call('PATCH', roleUrl, `Token ${shared.users.admin.token}`, { permissions: codes.filter((c) => c !== 'audit:view') }, a.app);
    await vi.waitFor(async () => expect((await call('GET', '/api/audit/logs/', `Token ${verifier.token}`, undefined, b)).statusCode).toBe(403), { timeout: 1000, interval: 2 });
  });

  it('while Redis is away an instance does not use its cache (it cannot hear invalidations)', async () => {
    const u = shared.users.member;
    await cached(`Token ${u.token}`, b);
    await stopRedis(redis.process);
    await vi.waitFor(() => expect(b.actorCache.size).toBe(0), { timeout: 5000, interval: 20 });
    const before = actorQueries();
    expect(await profile(`Token ${u.token}`, b)).toBe(200);
    expect(await profile(`Token ${u.token}`, b)).toBe(200);
    expect(actorQueries() - before).toBe(2);
  });
});
