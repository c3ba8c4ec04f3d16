// Every login path: success, wrong password, unknown e-mail, throttling, lockout, deactivated,
// forced and expired password changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { PASSWORD, auth, createOrg, insertTestUser, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
// Delays across addresses are off here (their own test below): lockout is reached at 6 failures from 3 addresses.
const LOGIN_POLICY = { TRUST_PROXY: 'true', LOGIN_FAILURES_PER_EMAIL_IP: '5', LOGIN_FAILURES_PER_IP: '1000', LOGIN_EMAIL_FREE_FAILURES: '1000', LOCKOUT_THRESHOLD: '6', LOCKOUT_MIN_IPS: '3', LOCKOUT_MINUTES: '30' };
const NEW_PASSWORD = 'Brand-New-Secret-77';

beforeAll(async () => {
  t = await createTestApp({ env: LOGIN_POLICY });
  org = await createOrg(t, 'Login Org');
});
afterAll(() => t.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'x-forwarded-for': '10.0.0.1', ...headers } });

describe('password login', () => {
  it('answers {access, refresh, token, user, user_activity} with role {id, name} and organisation', async () => {
    const res = await post('/api/auth/login/', { email: org.users.sales.email.toUpperCase(), password: PASSWORD }, { authorization: 'Token stale-token-from-local-storage' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.token).toMatch(/^[0-9a-f]{40}$/);
    expect(body.access.split('.')).toHaveLength(3);
    expect(body.refresh.split('.')).toHaveLength(3);
    // Ids are JSON integers on the wire (the database holds them as bigint, read as decimal strings).
    const [user] = await t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM users WHERE email = ${org.users.sales.email}`));
    for (const id of [body.user.id, body.user.role.id, body.user.organization]) expect(Number.isSafeInteger(id), `${JSON.stringify(id)} is a JSON integer`).toBe(true);
    expect(body.user).toMatchObject({
      id: Number(user!.id),
      email: org.users.sales.email,
      role: { id: Number(org.roles.get('Salesperson')), name: 'Salesperson' },
      organization: Number(org.id),
      organization_name: 'Login Org',
      user_type: 'salesperson',
    });
    expect(body.user_activity).toMatchObject({ login_count: expect.any(Number), last_login: expect.any(String) });
    expect(body.requires_otp).toBe(false);
    expect(body).not.toHaveProperty('user.password_hash');
    const [session] = await t.db.system((tx) => rows<{ token_hash: string }>(tx, sql`SELECT token_hash FROM auth_sessions ORDER BY created_at DESC LIMIT 1`));
    expect(session?.token_hash).not.toBe(body.token); // stored hashed
  });

  it('the admin aliases log in the same way', async () => {
    for (const url of ['/api/auth/login/super-admin/', '/api/auth/login/org-admin/']) {
      const res = await post(url, { email: org.users.admin.email, password: PASSWORD });
      expect(res.statusCode).toBe(200);
      expect(res.json().user.role.name).toBe('Org Admin');
    }
  });

  it('gives the same 401 for a wrong password and an unknown e-mail', async () => {
    const wrong = await post('/api/auth/login/', { email: org.users.member.email, password: 'Not-The-Password-1' }, { 'x-forwarded-for': '10.0.0.2' });
    const unknown = await post('/api/auth/login/', { email: 'nobody@example.test', password: 'Not-The-Password-1' }, { 'x-forwarded-for': '10.0.0.2' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.json().code).toBe('invalid_credentials');
    const events = await t.db.system((tx) => rows<{ event_type: string }>(tx, sql`SELECT event_type FROM security_events WHERE email = ${org.users.member.email}`));
    expect(events.map((e) => e.event_type)).toContain('login_failed');
  });

  it('refuses bad input with field errors', async () => {
    const res = await post('/api/auth/login/', { email: 'not-an-email' });
    expect(res.statusCode).toBe(400);
    expect(res.json().email).toBeDefined();
    expect(res.json().password).toEqual(['This field is required.']);
  });

  // Issue 13, defect 9: five requests from anywhere blocked the owner for an hour.
  it('an attacker who spent their budget from one address does not stop the owner signing in from theirs', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Salesperson') });
    const attacker = { 'x-forwarded-for': '10.1.0.66' };
    for (let i = 0; i < 5; i++) expect((await post('/api/auth/login/', { email: u.email, password: 'Wrong-Password-1!' }, attacker)).statusCode).toBe(401);
    const limited = await post('/api/auth/login/', { email: u.email, password: PASSWORD }, attacker);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().code).toBe('throttled');
    expect((await post('/api/auth/login/', { email: u.email, password: PASSWORD }, { 'x-forwarded-for': '10.1.0.7' })).statusCode).toBe(200);
    const [row] = await t.db.system((tx) => rows<{ locked_until: string | null }>(tx, sql`SELECT locked_until FROM users WHERE id = ${u.id}`));
    expect(row!.locked_until).toBeNull();
  });

  it('locks the account only after failures from several addresses, e-mails the owner once, and refuses the right password with 423', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Salesperson') });
    const fail = async (ip: string) => expect((await post('/api/auth/login/', { email: u.email, password: 'Wrong-Password-1!' }, { 'x-forwarded-for': ip })).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) await fail('10.2.0.1');
    await fail('10.2.0.2');
    const lockedUntil = async () => (await t.db.system((tx) => rows<{ locked_until: string | null }>(tx, sql`SELECT locked_until FROM users WHERE id = ${u.id}`)))[0]!.locked_until;
    expect(await lockedUntil()).toBeNull(); // six failures, but from two addresses
    await fail('10.2.0.3');
    expect(await lockedUntil()).not.toBeNull();
    const locked = await post('/api/auth/login/', { email: u.email, password: PASSWORD }, { 'x-forwarded-for': '10.2.0.4' });
    expect(locked.statusCode).toBe(423);
    expect(locked.json().code).toBe('account_locked');
    await fail('10.2.0.5');
    const events = await t.db.system((tx) => rows<{ event_type: string }>(tx, sql`SELECT event_type FROM security_events WHERE user_id = ${u.id}`));
    expect(events.map((e) => e.event_type)).toEqual(expect.arrayContaining(['login_failed', 'account_locked', 'login_locked']));
    expect(events.filter((e) => e.event_type === 'account_locked')).toHaveLength(1);
    const mail = await t.db.system((tx) => rows<{ subject: string; body: string; organization_id: string }>(tx, sql`SELECT subject, body, organization_id FROM email_outbox WHERE recipient = ${u.email}`));
    expect(mail).toEqual([{ subject: 'Your PRS account was locked', body: expect.stringContaining('locked until'), organization_id: org.id }]);
    // Once the lock has passed, the right password works (from an address with budget left).
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET locked_until = now() - interval '1 minute' WHERE id = ${u.id}`));
    expect((await post('/api/auth/login/', { email: u.email, password: PASSWORD }, { 'x-forwarded-for': '10.2.0.1' })).statusCode).toBe(429);
    expect((await post('/api/auth/login/', { email: u.email, password: PASSWORD }, { 'x-forwarded-for': '10.2.0.9' })).statusCode).toBe(200);
  });

  it('past the free failures of an e-mail, each further failure makes the next attempt wait longer, up to the cap', async () => {
    const strict = await createTestApp({ env: { ...LOGIN_POLICY, LOGIN_EMAIL_FREE_FAILURES: '2', LOGIN_EMAIL_MAX_DELAY_SECONDS: '2', LOCKOUT_THRESHOLD: '1000' } });
    try {
      let ip = 0;
      const attempt = () =>
        strict.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: 'spread@example.test', password: 'Wrong-Password-1!' }, headers: { 'x-forwarded-for': `10.5.0.${++ip}` } });
      const waits: (number | string)[] = [];
      for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
      for (const pause of [1, 2, 2]) {
        const refused = await attempt();
        expect(refused.statusCode).toBe(429);
        waits.push(Number(refused.headers['retry-after']));
        await new Promise((r) => setTimeout(r, pause * 1000 + 100));
        expect((await attempt()).statusCode).toBe(401);
      }
      expect(waits).toEqual([1, 2, 2]);
    } finally {
      await strict.close();
    }
  });

  it('refuses a deactivated user', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Verifier') });
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET is_active = false WHERE id = ${u.id}`));
    const res = await post('/api/auth/login/', { email: u.email, password: PASSWORD }, { 'x-forwarded-for': '10.3.0.1' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('account_inactive');
  });
});

describe('forced and expired password changes', () => {
  it('a must-change user gets a temporary token, sets a new password and is signed in', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Org Admin'), mustChange: true });
    const first = await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ requires_password_change: true, user_type: 'org_admin', email: u.email });
    expect(first.json().token).toBeUndefined();
    const temporary = first.json().temporary_token as string;

    const weak = await post('/api/auth/password/set/', { email: u.email, new_password: 'short', temporary_token: temporary });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().new_password.length).toBeGreaterThan(0);
    const reused = await post('/api/auth/password/set/', { email: u.email, new_password: PASSWORD, temporary_token: temporary });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().new_password[0]).toMatch(/last 5/);

    const set = await post('/api/auth/password/set/', { email: u.email, new_password: NEW_PASSWORD, temporary_token: temporary });
    expect(set.statusCode).toBe(200);
    expect(set.json().user).toMatchObject({ user_type: 'org_admin', is_superuser: false, must_change_password: false });
    const profile = await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: auth(set.json().token) });
    expect(profile.statusCode).toBe(200);
    // The temporary token works once.
    const again = await post('/api/auth/change-password', { email: u.email, new_password: 'Another-Secret-88', temporary_token: temporary });
    expect(again.statusCode).toBe(400);
    expect(again.json().temporary_token).toBeDefined();
    expect((await post('/api/auth/login/', { email: u.email, password: NEW_PASSWORD })).json().token).toBeDefined();
  });

  it('the fallback /api/auth/change-password (no slash) completes the change too', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Org Admin'), mustChange: true });
    const temporary = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().temporary_token;
    const res = await post('/api/auth/change-password', { email: u.email, new_password: NEW_PASSWORD, temporary_token: temporary });
    expect(res.statusCode).toBe(200);
    expect(res.json().token).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a password older than the expiry forces a change (counted from the last change, not sign-up)', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Salesperson') });
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET created_at = now() - interval '400 days', password_changed_at = now() - interval '10 days' WHERE id = ${u.id}`));
    expect((await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().token).toBeDefined();
    await t.db.system((tx) => tx.execute(sql`UPDATE users SET password_changed_at = now() - interval '91 days' WHERE id = ${u.id}`));
    const expired = await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    expect(expired.json()).toMatchObject({ requires_password_change: true });
    expect(expired.json().message).toMatch(/expired/);
  });

  it('change password (signed in) checks the current one and the policy, and ends other sessions', async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Supervisor') });
    const one = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().token;
    const two = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().token;
    const wrong = await post('/api/auth/password/change/', { current_password: 'nope', new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, auth(one));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().current_password).toBeDefined();
    const mismatch = await post('/api/auth/password/change/', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: 'other' }, auth(one));
    expect(mismatch.json().confirm_password).toBeDefined();
    const ok = await post('/api/auth/password/change/', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }, auth(one));
    expect(ok.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: auth(one) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: auth(two) })).statusCode).toBe(401);
    expect((await post('/api/auth/password/change/', { current_password: PASSWORD, new_password: NEW_PASSWORD }, {})).statusCode).toBe(401);
  });

  it("the seeds' POST /api/auth/change-password/ with a Bearer token and old_password changes the password", async () => {
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Team Lead') });
    const session = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json();
    const noToken = await post('/api/auth/change-password/', { old_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(noToken.statusCode).toBe(400);
    const wrong = await post('/api/auth/change-password/', { old_password: 'nope', new_password: NEW_PASSWORD }, { authorization: `Bearer ${session.access}` });
    expect(wrong.json().current_password).toBeDefined();
    const ok = await post('/api/auth/change-password/', { old_password: PASSWORD, new_password: NEW_PASSWORD }, { authorization: `Bearer ${session.access}` });
    expect(ok.statusCode).toBe(200);
    expect((await post('/api/auth/login/', { email: u.email, password: NEW_PASSWORD })).json().token).toBeDefined();
  });
});
