// TOTP enrolment and login with a valid, a wrong and a replayed code; backup codes used once;
// limited attempts; disable with password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { currentStep, totpCode } from '../../src/core/auth/totp.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { PASSWORD, auth, createOrg, insertTestUser, login, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'MFA Org');
});
afterAll(() => t.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload, headers });

async function enrolledUser() {
  const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get('Org Admin') });
  const session = await login(t, u.email);
  const setup = await post('/api/auth/mfa/totp/setup/', {}, auth(session.token));
  expect(setup.statusCode).toBe(200);
  const { secret, otpauth_uri, qr_code } = setup.json();
  expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\/PRS:.*secret=/);
  expect(qr_code).toMatch(/^data:image\/png;base64,/);
  const wrong = await post('/api/auth/mfa/totp/confirm/', { otp: '000000' === totpCode(secret, currentStep()) ? '111111' : '000000' }, auth(session.token));
  expect(wrong.statusCode).toBe(400);
  const confirm = await post('/api/auth/mfa/totp/confirm/', { otp: totpCode(secret, currentStep()) }, auth(session.token));
  expect(confirm.statusCode).toBe(200);
  const backupCodes = confirm.json().backup_codes as string[];
  expect(backupCodes).toHaveLength(10);
  const stored = await t.db.system((tx) => rows<{ code_hash: string }>(tx, sql`SELECT code_hash FROM backup_codes WHERE user_id = ${u.id}`));
  expect(stored).toHaveLength(10);
  expect(stored.map((s) => s.code_hash)).not.toContain(backupCodes[0]);
  const [row] = await t.db.system((tx) => rows<{ totp_secret: string }>(tx, sql`SELECT totp_secret FROM users WHERE id = ${u.id}`));
  expect(row?.totp_secret).not.toContain(secret); // sealed at rest
  return { ...u, secret, backupCodes, session };
}

describe('TOTP second factor', () => {
  it('login then requires the code; a valid code signs in; the same code again is a replay', async () => {
    const u = await enrolledUser();
    const first = await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    expect(first.json()).toMatchObject({ requires_otp: true, user_type: 'org_admin' });
    expect(first.json().token).toBeUndefined();
    const wrong = await post('/api/auth/login/verify/', { email: u.email, otp: '12345x' });
    expect(wrong.statusCode).toBe(400);
    // The enrolment used the current step, so the next step's code is the first fresh one.
    const code = totpCode(u.secret, currentStep() + 1);
    const ok = await post('/api/auth/login/org-admin/verify/', { mfa_token: first.json().mfa_token, otp: code });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().token).toMatch(/^[0-9a-f]{40}$/);

    const second = await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    const replay = await post('/api/auth/login/super-admin/verify/', { email: u.email, otp: code });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().code).toBe('invalid_otp');
    expect(second.json().requires_otp).toBe(true);
  });

  it('a backup code works once', async () => {
    const u = await enrolledUser();
    await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    const used = await post('/api/auth/login/verify/', { email: u.email, otp: u.backupCodes[0]!.toUpperCase() });
    expect(used.statusCode).toBe(200);
    expect(used.json().token).toBeDefined();
    await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    const again = await post('/api/auth/login/verify/', { email: u.email, otp: u.backupCodes[0]! });
    expect(again.statusCode).toBe(400);
    const status = await t.app.inject({ method: 'GET', url: '/api/auth/mfa/', headers: auth(used.json().token) });
    expect(status.json()).toEqual({ totp_enabled: true, backup_codes_remaining: 9 });
  });

  it('limits attempts: after 5 wrong codes the challenge is spent', async () => {
    const u = await enrolledUser();
    const challenge = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().mfa_token;
    for (let i = 0; i < 5; i++) expect((await post('/api/auth/login/verify/', { mfa_token: challenge, otp: 'zzzz-zzzz-zz' })).statusCode).toBe(400);
    const blocked = await post('/api/auth/login/verify/', { mfa_token: challenge, otp: totpCode(u.secret, currentStep() + 1) });
    expect(blocked.statusCode).toBe(429);
    const dead = await post('/api/auth/login/verify/', { mfa_token: challenge, otp: totpCode(u.secret, currentStep() + 1) });
    expect(dead.statusCode).toBe(400);
  });

  // Issue 13, defect 9: a new login gave a new challenge and five more guesses, endlessly.
  it('wrong codes count in the login budget: new challenges do not buy more guesses', async () => {
    const u = await enrolledUser();
    for (const guesses of [3, 2]) {
      const challenge = (await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().mfa_token;
      expect(challenge).toEqual(expect.any(String));
      for (let i = 0; i < guesses; i++) expect((await post('/api/auth/login/verify/', { mfa_token: challenge, otp: 'zzzz-zzzz-zz' })).statusCode).toBe(400);
    }
    const again = await post('/api/auth/login/', { email: u.email, password: PASSWORD });
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('disabling needs the password; afterwards login needs no code', async () => {
    const u = await enrolledUser();
    expect((await post('/api/auth/mfa/totp/disable/', { password: 'wrong' }, auth(u.session.token))).json().password).toBeDefined();
    expect((await post('/api/auth/mfa/totp/disable/', { password: PASSWORD }, auth(u.session.token))).statusCode).toBe(200);
    expect((await post('/api/auth/login/', { email: u.email, password: PASSWORD })).json().token).toBeDefined();
  });

  it('enrolment routes need a signed-in user', async () => {
    expect((await post('/api/auth/mfa/totp/setup/', {})).statusCode).toBe(401);
    expect((await post('/api/auth/mfa/totp/confirm/', { otp: '123456' })).statusCode).toBe(401);
    expect((await post('/api/auth/mfa/totp/confirm/', {}, auth(org.users.member.token))).statusCode).toBe(400);
  });
});
