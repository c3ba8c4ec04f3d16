// Tokens and sessions: both header keywords and both token kinds, refresh rotation with reuse
// detection, logout, session list/revoke, deactivation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { PASSWORD, createOrg, insertTestUser, login, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Token Org');
});
afterAll(() => t.close());

const profile = (authorization?: string) =>
  t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: authorization ? { authorization } : {} });
const post = (url: string, payload: object, authorization?: string) =>
  t.app.inject({ method: 'POST', url, payload, headers: authorization ? { authorization } : {} });

async function freshUser() {
  const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Salesperson') });
  return login(t, u.email);
}

describe('authorization header', () => {
  it('accepts Token and Bearer in any case, with the session token or the JWT access token', async () => {
    const u = org.users.sales;
    for (const header of [`Token ${u.token}`, `token ${u.token}`, `Bearer ${u.token}`, `BEARER ${u.access}`, `Token ${u.access}`, `bearer ${u.access}`]) {
      const res = await profile(header);
      expect(res.statusCode, header).toBe(200);
      expect(res.json().id).toBe(u.id);
    }
  });

  it('answers 401 without a token, with a malformed one, and with a refresh token used as access', async () => {
    expect((await profile()).statusCode).toBe(401);
    expect((await profile('Token 0123456789abcdef0123456789abcdef01234567')).statusCode).toBe(401);
    expect((await profile('Basic abc')).statusCode).toBe(401);
    expect((await profile(`Bearer ${org.users.sales.refresh}`)).statusCode).toBe(401);
    expect((await profile(`Bearer ${org.users.sales.access}x`)).statusCode).toBe(401);
    const body = (await profile()).json();
    expect(body.code).toBe('not_authenticated');
  });
});

/** Moves a spent refresh token's rotation back past the grace window (30 s by default). */
async function outliveGrace(refresh: string) {
  const jti = JSON.parse(Buffer.from(refresh.split('.')[1]!, 'base64url').toString()).jti as string;
  await t.db.system((tx) => tx.execute(sql`UPDATE refresh_tokens SET used_at = used_at - interval '31 seconds' WHERE id = ${jti}`));
}

describe('refresh tokens', () => {
  it('rotate: each refresh answers a new pair and the old refresh token is spent', async () => {
    const u = await freshUser();
    const first = await post('/api/auth/refresh/', { refresh: u.refresh });
    expect(first.statusCode).toBe(200);
    const pair = first.json();
    expect(pair.refresh).not.toBe(u.refresh);
    expect((await profile(`Bearer ${pair.access}`)).statusCode).toBe(200);
    const second = await post('/api/auth/refresh/', { refresh: pair.refresh });
    expect(second.statusCode).toBe(200);
  });

  it('reuse of a spent refresh token after the grace window revokes the whole family, including the session token', async () => {
    const u = await freshUser();
    const rotated = (await post('/api/auth/refresh/', { refresh: u.refresh })).json();
    await outliveGrace(u.refresh);
    const reuse = await post('/api/auth/refresh/', { refresh: u.refresh });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('token_reused');
    expect((await post('/api/auth/refresh/', { refresh: rotated.refresh })).statusCode).toBe(401);
    expect((await profile(`Bearer ${rotated.access}`)).statusCode).toBe(401);
    expect((await profile(`Token ${u.token}`)).statusCode).toBe(401);
    const events = await t.db.system((tx) => rows<{ severity: string }>(tx, sql`SELECT severity FROM security_events WHERE user_id = ${u.id} AND event_type = 'refresh_token_reuse'`));
    expect(events).toEqual([{ severity: 'high' }]);
  });

  // Issue 13, defect 10: two tabs refreshing at once logged the user out.
  it('ten concurrent refreshes with one token all get the same new pair, and the session stays', async () => {
    const u = await freshUser();
    const results = await Promise.all(Array.from({ length: 10 }, () => post('/api/auth/refresh/', { refresh: u.refresh })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const pairs = new Set(results.map((r) => `${r.json().access} ${r.json().refresh}`));
    expect(pairs.size).toBe(1);
    const pair = results[0]!.json();
    expect(pair.refresh).not.toBe(u.refresh);
    expect((await profile(`Bearer ${pair.access}`)).statusCode).toBe(200);
    expect((await profile(`Token ${u.token}`)).statusCode).toBe(200);
    // One rotation happened: the spent token and its successor, nothing revoked.
    const tokens = await t.db.system((tx) => rows<{ n: number; revoked: boolean }>(tx, sql`
      SELECT count(*)::int AS n, bool_or(s.revoked_at IS NOT NULL) AS revoked FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id
      WHERE s.user_id = ${u.id}`));
    expect(tokens).toEqual([{ n: 2, revoked: false }]);
    // The successor rotates normally, and the pair is never stored in clear.
    const stored = await t.db.system((tx) => rows<{ replacement: string | null }>(tx, sql`
      SELECT r.replacement FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id WHERE s.user_id = ${u.id} AND r.used_at IS NOT NULL`));
    expect(stored[0]!.replacement).not.toContain(pair.refresh);
    expect((await post('/api/auth/refresh/', { refresh: pair.refresh })).statusCode).toBe(200);
  });

  it('refuses garbage and access tokens with 401, and a missing field with 400', async () => {
    expect((await post('/api/auth/refresh/', { refresh: 'garbage' })).statusCode).toBe(401);
    expect((await post('/api/auth/refresh/', { refresh: org.users.sales.access })).statusCode).toBe(401);
    expect((await post('/api/auth/refresh/', {})).json().refresh).toEqual(['This field is required.']);
  });
});

describe('logout and sessions', () => {
  it('logout makes the session token and the access token unusable at once', async () => {
    const u = await freshUser();
    const res = await post('/api/auth/logout/', {}, `Token ${u.token}`);
    expect(res.statusCode).toBe(200);
    expect((await profile(`Token ${u.token}`)).statusCode).toBe(401);
    expect((await profile(`Bearer ${u.access}`)).statusCode).toBe(401);
    expect((await post('/api/auth/refresh/', { refresh: u.refresh })).statusCode).toBe(401);
    expect((await post('/api/auth/logout/', {})).statusCode).toBe(401);
  });

  it('lists own sessions with device, IP, created time and the current one, and revokes another', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Verifier') });
    const laptop = await t.app.inject({
      method: 'POST', url: '/api/auth/login/', payload: { email: u.email, password: PASSWORD },
      headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36' },
    });
    const phone = await login(t, u.email);
    const list = await t.app.inject({ method: 'GET', url: '/api/auth/sessions/?', headers: { authorization: `Token ${laptop.json().token}` } });
    expect(list.statusCode).toBe(200);
    const sessions = list.json() as { id: number; device: { browser: string; os: string }; ip_address: string; createdAt: string; is_current_session: boolean }[];
    expect(sessions).toHaveLength(2);
    // Session ids are JSON integers: the database's ids of this user's open sessions.
    const own = await t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM auth_sessions WHERE user_id = ${u.id} AND revoked_at IS NULL`));
    for (const s of sessions) expect(Number.isSafeInteger(s.id), JSON.stringify(s.id)).toBe(true);
    expect(sessions.map((s) => String(s.id)).sort()).toEqual(own.map((r) => r.id).sort());
    const current = sessions.find((s) => s.is_current_session)!;
    expect(current.device).toMatchObject({ browser: 'Chrome', os: 'Windows' });
    expect(current.ip_address).toBe('127.0.0.1');
    expect(Date.parse(current.createdAt)).not.toBeNaN();
    const other = sessions.find((s) => !s.is_current_session)!;
    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${other.id}/`, headers: { authorization: `Token ${laptop.json().token}` } });
    expect(revoke.statusCode).toBe(200);
    expect((await profile(`Token ${phone.token}`)).statusCode).toBe(401);
    expect((await profile(`Token ${laptop.json().token}`)).statusCode).toBe(200);
  });

  it("cannot revoke another user's session (404), whichever of the guessable ids it tries", async () => {
    const open = () => t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM auth_sessions WHERE user_id <> ${String(org.users.member.id)} AND revoked_at IS NULL ORDER BY id`));
    const victims = await open();
    expect(victims.length).toBeGreaterThan(1);
    for (const victim of victims) {
      const res = await t.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${victim.id}/`, headers: { authorization: `Token ${org.users.member.token}` } });
      expect(res.statusCode, victim.id).toBe(404);
    }
    expect(await open()).toEqual(victims);
    expect((await profile(`Token ${org.users.admin.token}`)).statusCode).toBe(200);
    // Malformed ids stay field errors, never database errors.
    for (const id of ['abc', '0', '99999999999999999999']) {
      const res = await t.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${id}/`, headers: { authorization: `Token ${org.users.member.token}` } });
      expect(res.statusCode, id).toBe(400);
    }
  });

  it("a deactivated user's tokens stop working immediately", async () => {
    const u = await freshUser();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/auth/users/${u.id}/`, headers: { authorization: `Token ${org.users.admin.token}` } });
    expect(res.statusCode).toBe(200);
    expect((await profile(`Token ${u.token}`)).statusCode).toBe(401);
    expect((await profile(`Bearer ${u.access}`)).statusCode).toBe(401);
  });

  it('expired sessions are refused', async () => {
    const u = await freshUser();
    await t.db.system((tx) => tx.execute(sql`UPDATE auth_sessions SET expires_at = now() - interval '1 second' WHERE user_id = ${u.id}`));
    expect((await profile(`Token ${u.token}`)).statusCode).toBe(401);
  });
});
