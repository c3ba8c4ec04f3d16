// Identity and access, as the PRS web client calls it: every auth.*, permissions.*, roles.*,
// organizations.* and security.* contract entry sent exactly the way the client sends it
// (stray '?', 'Token' header, JSON content-type on every call, stale tokens on login), checked
// for a 2xx answer that carries every field the client reads, plus the 401 / no-401 rule of
// each entry's `auth`.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { currentStep, totpCode } from '../../src/core/auth/totp.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, insertTestUser, login, PASSWORD, type TestOrg, type TestUser } from '../support/identity.ts';
import { clientRequest, clientView, contractEntry, missingFields, multipartPayload, type ClientRequestOptions } from './contract.ts';

let t: TestApp;
let org: TestOrg;
let su: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, `Contract Identity ${randomBytes(3).toString('hex')}`);
  su = await createSuperAdmin(t);
});
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------
// Helpers

/** A DRF-style 40-hex key that names no session (what a browser may still have stored). */
const STALE_KEY = randomBytes(20).toString('hex');
/** A JWT-shaped stale token (the client never checks the token's format, dots included). */
const STALE_JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJnb25lIiwic2lkIjoiZ29uZSJ9.' + randomBytes(32).toString('base64url');

/** Passwords that satisfy the policy (≥12, upper, lower, digit, special, no name/e-mail part). */
const NEW_PASSWORD = 'Violet#Harbor2031x';
const CHANGED_PASSWORD = 'Copper!Meadow4827z';
const CLIENT_PASSWORD = 'Zephyr@Quartz91x';

const hex = () => randomBytes(4).toString('hex');

/** A real 1×1 PNG (the server checks the file's signature). */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** The settings page's FormData when a new photo was chosen (all values are strings). */
function profileForm(email: string) {
  return multipartPayload({
    first_name: 'Maya',
    last_name: 'Gurung',
    email,
    phoneNumber: '+977-9812345678',
    address: 'Pokhara',
    profile_picture: { filename: 'avatar.png', contentType: 'image/png', data: PNG_1X1 },
  });
}

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

/** Sends contract entry `id` the way the client does and parses the answer. */
async function send(id: string, opts: ClientRequestOptions = {}): Promise<Answer> {
  const res = await t.app.inject(clientRequest(contractEntry(id), opts));
  let body: unknown;
  if (res.body !== '') {
    try {
      body = JSON.parse(res.body);
    } catch {
      body = res.body;
    }
  }
  return { status: res.statusCode, body, text: res.body };
}

function expect2xx(id: string, a: Answer): void {
  expect(a.status >= 200 && a.status < 300, `${id} answered ${a.status}: ${a.text.slice(0, 600)}`).toBe(true);
}

/** Every field the client reads is there (soft, so later checks of the same test still report). */
function expectContract(id: string, body: unknown): void {
  expect.soft(missingFields(contractEntry(id), body), `${id}: fields_read missing from ${JSON.stringify(body)?.slice(0, 600)}`).toEqual([]);
}

/** The list the client works with after its unwrapping; asserts it is a non-empty array. */
function nonEmptyList(id: string, body: unknown): Record<string, unknown>[] {
  let view = clientView(contractEntry(id), body);
  // paginated-or-array: a DRF page is read through its results.
  if (isRecord(view) && Array.isArray(view.results)) view = view.results;
  expect(Array.isArray(view), `${id}: expected a list, got ${JSON.stringify(body)?.slice(0, 300)}`).toBe(true);
  const list = view as unknown[];
  expect(list.length, `${id}: the list must not be empty for this check`).toBeGreaterThan(0);
  return list.filter(isRecord);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Record<string, unknown> {
  expect(isRecord(v), `expected a JSON object, got ${JSON.stringify(v)?.slice(0, 300)}`).toBe(true);
  return v as Record<string, unknown>;
}

/** The client reads a role as a string or as {name}. */
function roleName(role: unknown): string | undefined {
  if (typeof role === 'string') return role;
  if (isRecord(role) && typeof role.name === 'string') return role.name;
  return undefined;
}

function roleId(roleNameWanted: string): string {
  const id = org.roles.get(roleNameWanted);
  if (!id) throw new Error(`no default role ${roleNameWanted}`);
  return id;
}

/** A new member of the fixture organisation, signed in. */
async function freshUser(role = 'Salesperson', firstName = 'Test'): Promise<TestUser> {
  const u = await insertTestUser(t, { orgId: org.id, roleId: roleId(role), firstName, email: `member-${hex()}@example.test` });
  return login(t, u.email);
}

/** Enrols the user in TOTP through the API; returns the base32 secret. */
async function enrolTotp(user: TestUser): Promise<string> {
  const setup = await t.app.inject({ method: 'POST', url: '/api/auth/mfa/totp/setup/', headers: auth(user.token) });
  expect(setup.statusCode, setup.body).toBe(200);
  const secret = (setup.json() as { secret: string }).secret;
  const confirm = await t.app.inject({ method: 'POST', url: '/api/auth/mfa/totp/confirm/', headers: auth(user.token), payload: { otp: totpCode(secret, currentStep()) } });
  expect(confirm.statusCode, confirm.body).toBe(200);
  return secret;
}

async function profileWith(token: string): Promise<number> {
  return (await send('auth.profile.get', { token })).status;
}

// ---------------------------------------------------------------------------------------------
// Login, second factor, forced password change (auth: optional — a stale key must be ignored)

describe('auth.login*', () => {
  for (const id of ['auth.login', 'auth.login.super-admin', 'auth.login.org-admin']) {
    it(`${id}: signs in with a stale Authorization header and answers {token, user}`, async () => {
      const user = await insertTestUser(t, { orgId: org.id, roleId: roleId('Salesperson'), email: `login-${hex()}@example.test` });
      const a = await send(id, { token: STALE_KEY, body: { email: user.email, password: PASSWORD } });
      expect2xx(id, a);
      const body = obj(a.body);
      expect(typeof body.token, 'token').toBe('string');
      expect(isRecord(body.user), 'user').toBe(true);
      expect(roleName(obj(body.user).role)).toBe('Salesperson');
      expectContract(id, a.body);
      // The token it hands out is the one the client stores and sends from then on.
      expect(await profileWith(body.token as string)).toBe(200);
    });

    it(`${id}: a stale (JWT-shaped or DRF-style) token does not cause 401`, async () => {
      const user = await insertTestUser(t, { orgId: org.id, roleId: roleId('Verifier'), email: `stale-${hex()}@example.test` });
      for (const token of [STALE_JWT, STALE_KEY]) {
        const a = await send(id, { token, body: { email: user.email, password: PASSWORD } });
        expect(a.status, `${id} with stale token ${token.slice(0, 12)}…: ${a.text.slice(0, 300)}`).toBe(200);
      }
    });
  }

  it('auth.login: super admins sign in at all three URLs alike', async () => {
    const root = await insertTestUser(t, { superuser: true, email: `root-login-${hex()}@example.test` });
    for (const id of ['auth.login', 'auth.login.super-admin', 'auth.login.org-admin']) {
      const a = await send(id, { token: STALE_KEY, body: { email: root.email, password: PASSWORD } });
      expect2xx(id, a);
      expect(roleName(obj(obj(a.body).user).role)).toBe('Super Admin');
      expectContract(id, a.body);
    }
  });
});

describe('auth.otp.*', () => {
  const cases = [
    { id: 'auth.otp.super-admin', userType: 'super_admin' },
    { id: 'auth.otp.org-admin', userType: 'org_admin' },
    { id: 'auth.otp.generic', userType: 'salesperson' },
  ] as const;

  for (const c of cases) {
    it(`${c.id}: completes a TOTP login (stale Authorization header ignored)`, async () => {
      const user =
        c.userType === 'super_admin'
          ? await login(t, (await insertTestUser(t, { superuser: true, email: `root-otp-${hex()}@example.test` })).email)
          : await freshUser(c.userType === 'org_admin' ? 'Org Admin' : 'Salesperson');
      const secret = await enrolTotp(user);

      const first = await send('auth.login', { token: STALE_KEY, body: { email: user.email, password: PASSWORD } });
      expect2xx('auth.login', first);
      expect(obj(first.body)).toMatchObject({ requires_otp: true, user_type: c.userType });

      // The confirmation used the current step; a later step is not a replay.
      const a = await send(c.id, { token: STALE_KEY, body: { email: user.email, otp: totpCode(secret, currentStep() + 1) } });
      expect2xx(c.id, a);
      const body = obj(a.body);
      expect(typeof body.token, 'token').toBe('string');
      expect(isRecord(body.user), 'user').toBe(true);
      expectContract(c.id, a.body);
      expect(await profileWith(body.token as string)).toBe(200);
    });

    it(`${c.id}: a stale token does not cause 401`, async () => {
      const user = await insertTestUser(t, { orgId: org.id, roleId: roleId('Salesperson'), email: `otp-stale-${hex()}@example.test` });
      for (const token of [STALE_JWT, STALE_KEY]) {
        const a = await send(c.id, { token, body: { email: user.email, otp: '000000' } });
        expect(a.status, `${c.id} with stale token: ${a.text.slice(0, 300)}`).not.toBe(401);
        expect(a.status, a.text.slice(0, 300)).toBeLessThan(500);
      }
    });
  }
});

describe('auth.password.set*', () => {
  for (const id of ['auth.password.set', 'auth.password.set.fallback']) {
    it(`${id}: sets the first password with the temporary token and signs in`, async () => {
      const u = await insertTestUser(t, { orgId: org.id, roleId: roleId('Org Admin'), mustChange: true, email: `pwset-${hex()}@example.test` });
      const first = await send('auth.login', { token: STALE_KEY, body: { email: u.email, password: PASSWORD } });
      expect2xx('auth.login', first);
      const challenge = obj(first.body);
      expect(challenge).toMatchObject({ requires_password_change: true, user_type: 'org_admin' });
      expect(typeof challenge.temporary_token, 'temporary_token').toBe('string');

      const a = await send(id, { token: STALE_KEY, body: { email: u.email, new_password: NEW_PASSWORD, temporary_token: challenge.temporary_token } });
      expect2xx(id, a);
      const body = obj(a.body);
      expect(typeof body.token, 'token').toBe('string');
      expect(isRecord(body.user), 'user').toBe(true);
      expectContract(id, a.body);
      expect(await profileWith(body.token as string)).toBe(200);
      const again = await send('auth.login', { body: { email: u.email, password: NEW_PASSWORD } });
      expect(again.status, again.text.slice(0, 300)).toBe(200);
      expect(typeof obj(again.body).token).toBe('string');
    });

    it(`${id}: a stale token does not cause 401`, async () => {
      for (const token of [STALE_JWT, STALE_KEY]) {
        const a = await send(id, { token, body: { email: `nobody-${hex()}@example.test`, new_password: NEW_PASSWORD, temporary_token: randomBytes(20).toString('hex') } });
        expect(a.status, `${id} with stale token: ${a.text.slice(0, 300)}`).not.toBe(401);
        expect(a.status, a.text.slice(0, 300)).toBeLessThan(500);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Signed-in calls (auth: token)

describe('profile, password change, sessions, sales target, security events', () => {
  it('auth.profile.get: the signed-in user with phone, address and nested profile picture', async () => {
    const a = await send('auth.profile.get', { token: org.users.sales.token });
    expect2xx('auth.profile.get', a);
    expect(obj(a.body).email).toBe(org.users.sales.email);
    expectContract('auth.profile.get', a.body);
  });

  it('auth.profile.update: JSON PATCH with phoneNumber (camelCase) as the settings page sends it', async () => {
    const user = await freshUser();
    const email = `asha.karki.${hex()}@example.test`;
    const a = await send('auth.profile.update', {
      token: user.token,
      body: { first_name: 'Asha', last_name: 'Karki', email, phoneNumber: '+977-9812345678', address: 'Kathmandu' },
    });
    expect2xx('auth.profile.update', a);
    expectContract('auth.profile.update', a.body);
    // The client then refetches the profile and shows that.
    const after = await send('auth.profile.get', { token: user.token });
    expect2xx('auth.profile.get', after);
    const profile = obj(after.body);
    expect(profile).toMatchObject({ first_name: 'Asha', last_name: 'Karki', email, address: 'Kathmandu' });
    expect(profile.phoneNumber ?? profile.contact_number).toBe('+977-9812345678');
  });

  it('auth.profile.update.multipart: FormData PATCH with a new profile picture', async () => {
    const user = await freshUser();
    const email = `maya.gurung.${hex()}@example.test`;
    const a = await send('auth.profile.update.multipart', { token: user.token, body: profileForm(email) });
    expect2xx('auth.profile.update.multipart', a);
    expectContract('auth.profile.update.multipart', a.body);
    // The refetched profile carries the picture nested as profile.profile_picture.
    const after = await send('auth.profile.get', { token: user.token });
    expect2xx('auth.profile.get', after);
    const profile = obj(after.body);
    expect(profile).toMatchObject({ first_name: 'Maya', last_name: 'Gurung', email, address: 'Pokhara' });
    expect(profile.phoneNumber ?? profile.contact_number).toBe('+977-9812345678');
    const picture = obj(profile.profile).profile_picture;
    expect(typeof picture === 'string' && /^(https?:\/\/[^/]+)?\/media\//.test(picture), `profile.profile_picture: ${String(picture)}`).toBe(true);
    // The client loads it without a token from the API origin.
    const image = await t.app.inject({ method: 'GET', url: new URL(picture as string, 'http://localhost').pathname });
    expect(image.statusCode).toBe(200);
    expect(image.rawPayload.equals(PNG_1X1)).toBe(true);
  });

  it('auth.password.change: current + new + confirm', async () => {
    const user = await freshUser('Org Admin');
    const a = await send('auth.password.change', {
      token: user.token,
      body: { current_password: PASSWORD, new_password: CHANGED_PASSWORD, confirm_password: CHANGED_PASSWORD },
    });
    expect2xx('auth.password.change', a);
    expectContract('auth.password.change', a.body);
    expect((await send('auth.login', { body: { email: user.email, password: CHANGED_PASSWORD } })).status).toBe(200);
  });

  it('auth.sessions.list: the user\'s sessions, the current one flagged', async () => {
    const user = await freshUser();
    await login(t, user.email);
    const a = await send('auth.sessions.list', { token: user.token });
    expect2xx('auth.sessions.list', a);
    const list = nonEmptyList('auth.sessions.list', a.body);
    expect(list.length).toBeGreaterThanOrEqual(2);
    expect(list.filter((s) => s.is_current_session === true)).toHaveLength(1);
    expectContract('auth.sessions.list', a.body);
  });

  it('auth.sessions.revoke: revokes another session of the user', async () => {
    const user = await freshUser();
    const other = await login(t, user.email);
    const list = nonEmptyList('auth.sessions.list', (await send('auth.sessions.list', { token: user.token })).body);
    const target = list.find((s) => s.is_current_session !== true);
    expect(target, 'a non-current session').toBeDefined();
    const a = await send('auth.sessions.revoke', { token: user.token, params: { id: String(target!.id) } });
    expect2xx('auth.sessions.revoke', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('auth.sessions.revoke', a.body);
    expect(await profileWith(other.token)).toBe(401);
    expect(await profileWith(user.token)).toBe(200);
  });

  it('auth.sales-target.set: axios call with a lowercase "token" keyword', async () => {
    const req = clientRequest(contractEntry('auth.sales-target.set'), { token: org.users.sales.token, body: { sales_target: 5000 } });
    expect(req.headers.authorization).toBe(`token ${org.users.sales.token}`);
    const a = await send('auth.sales-target.set', { token: org.users.sales.token, body: { sales_target: 5000 } });
    expect2xx('auth.sales-target.set', a);
    expect(typeof obj(a.body).message).toBe('string');
    expectContract('auth.sales-target.set', a.body);
  });

  it('security.events: the blocked password-change report of a salesperson', async () => {
    const a = await send('security.events', {
      token: org.users.sales.token,
      body: {
        event_type: 'unauthorized_password_change_attempt',
        user_id: org.users.sales.id,
        role: 'salesperson',
        org_id: org.id,
        details: { timestamp: new Date().toISOString(), action: 'password_change_attempt', status: 'blocked' },
      },
    });
    expect2xx('security.events', a);
    expectContract('security.events', a.body);
  });
});

describe('auth.users.*', () => {
  it('auth.users.list (no params, bare "?"): the org admin\'s manage-users table', async () => {
    const req = clientRequest(contractEntry('auth.users.list'), { token: org.users.admin.token });
    expect(req.url).toBe('/api/auth/users/?');
    const a = await send('auth.users.list', { token: org.users.admin.token });
    expect2xx('auth.users.list', a);
    const list = nonEmptyList('auth.users.list', a.body);
    expect(list.map((u) => u.email)).toContain(org.users.sales.email);
    expectContract('auth.users.list', a.body);
  });

  it('auth.users.list (role=Org+Admin): the super admin\'s admin list', async () => {
    const req = clientRequest(contractEntry('auth.users.list'), { token: su.token, query: { role: 'Org Admin' } });
    expect(req.url).toBe('/api/auth/users/?role=Org+Admin');
    const a = await send('auth.users.list', { token: su.token, query: { role: 'Org Admin' } });
    expect2xx('auth.users.list', a);
    const list = nonEmptyList('auth.users.list', a.body);
    expect(list.map((u) => u.email)).toContain(org.users.admin.email);
    expect(list.map((u) => roleName(u.role))).toEqual(list.map(() => 'Org Admin'));
    expectContract('auth.users.list', a.body);
  });

  it('auth.users.list (page_size=1000): the team form\'s member options', async () => {
    const a = await send('auth.users.list', { token: org.users.admin.token, query: { page_size: '1000' } });
    expect2xx('auth.users.list', a);
    const list = nonEmptyList('auth.users.list', a.body);
    expect(list.map((u) => roleName(u.role))).toEqual(expect.arrayContaining(['Supervisor', 'Team Member']));
    expectContract('auth.users.list', a.body);
  });

  it('auth.users.create: the org admin\'s Add user form (role and team by NAME, username, +977- phone)', async () => {
    const now = Date.now();
    const a = await send('auth.users.create', {
      token: org.users.admin.token,
      body: {
        username: `jane_${now}`,
        first_name: 'Jane',
        last_name: 'Doe',
        email: `jane.${now}@example.test`,
        contact_number: '+977-9812345678',
        password: CLIENT_PASSWORD,
        role: 'Salesperson',
        is_active: true,
        organization: org.id,
        teams: ['Alpha'],
      },
    });
    expect2xx('auth.users.create', a);
    const body = obj(a.body);
    expect(Object.keys(body).length).toBeGreaterThan(0);
    expect(body).toMatchObject({ first_name: 'Jane', last_name: 'Doe' });
    expect(roleName(body.role)).toBe('Salesperson');
    expectContract('auth.users.create', a.body);
    expect((await send('auth.login', { body: { email: `jane.${now}@example.test`, password: CLIENT_PASSWORD } })).status).toBe(200);
  });

  it('auth.users.create-admin: the super admin creates an Org Admin without role or password', async () => {
    const email = `new.admin.${hex()}@example.test`;
    const a = await send('auth.users.create-admin', {
      token: su.token,
      body: { first_name: 'Nisha', last_name: 'Thapa', email, organization: org.id, is_active: true },
    });
    expect2xx('auth.users.create-admin', a);
    expectContract('auth.users.create-admin', a.body);
    if (isRecord(a.body) && 'role' in a.body) expect(roleName(a.body.role)).toBe('Org Admin');
    // A temporary password was issued (mailed): the next login asks for a new password.
    const [mail] = await t.db.system((tx) => rows<{ body: string }>(tx, sql`SELECT body FROM email_outbox WHERE recipient = ${email} ORDER BY created_at DESC LIMIT 1`));
    const temporary = /temporary password (\S+)/.exec(mail?.body ?? '')?.[1];
    expect(temporary, `temporary password in the e-mail: ${mail?.body}`).toBeDefined();
    const first = await send('auth.login', { body: { email, password: temporary! } });
    expect(first.status, first.text.slice(0, 300)).toBe(200);
    expect(obj(first.body)).toMatchObject({ requires_password_change: true, user_type: 'org_admin' });
    expect(typeof obj(first.body).temporary_token).toBe('string');
  });

  it('auth.users.get: the super admin\'s edit-admin form (organization_name matches the org list)', async () => {
    const a = await send('auth.users.get', { token: su.token, params: { id: org.users.admin.id } });
    expect2xx('auth.users.get', a);
    expect(obj(a.body)).toMatchObject({ email: org.users.admin.email, organization_name: org.name, is_active: true });
    expectContract('auth.users.get', a.body);
  });

  it('auth.users.put: the super admin saves the edit-admin form', async () => {
    const target = await insertTestUser(t, { orgId: org.id, roleId: roleId('Org Admin'), email: `put-admin-${hex()}@example.test` });
    const email = `priya.sharma.${hex()}@example.test`;
    const a = await send('auth.users.put', {
      token: su.token,
      params: { id: target.id },
      body: { first_name: 'Priya', last_name: 'Sharma', email, organization: org.id, is_active: true },
    });
    expect2xx('auth.users.put', a);
    expectContract('auth.users.put', a.body);
    const after = await send('auth.users.get', { token: su.token, params: { id: target.id } });
    expect(obj(after.body)).toMatchObject({ first_name: 'Priya', last_name: 'Sharma', email, is_active: true });
  });

  it('auth.users.patch: the org admin\'s Edit user form (role id string, then role name; Not Assigned; double prefix)', async () => {
    const target = await freshUser('Salesperson');
    const body = (role: string) => ({
      username: `ram_${Date.now()}`,
      first_name: 'Ram',
      last_name: 'Bahadur',
      email: target.email,
      contact_number: '+977-+977-9812345678',
      role,
      is_active: true,
      organization: org.id,
      teams: ['Not Assigned'],
    });
    const untouched = await send('auth.users.patch', { token: org.users.admin.token, params: { id: target.id }, body: body(roleId('Salesperson')) });
    expect2xx('auth.users.patch', untouched);
    expect(Object.keys(obj(untouched.body)).length).toBeGreaterThan(0);
    expectContract('auth.users.patch', untouched.body);

    const reselected = await send('auth.users.patch', { token: org.users.admin.token, params: { id: target.id }, body: body('Verifier') });
    expect2xx('auth.users.patch', reselected);
    expectContract('auth.users.patch', reselected.body);
    const after = await send('auth.users.get', { token: org.users.admin.token, params: { id: target.id } });
    expect(roleName(obj(after.body).role)).toBe('Verifier');
    const phone = obj(after.body).phoneNumber ?? obj(after.body).contact_number;
    expect(phone).toBe('+977-9812345678');
  });

  it('auth.users.delete: the org admin removes a user', async () => {
    const target = await freshUser('Team Member');
    const a = await send('auth.users.delete', { token: org.users.admin.token, params: { id: target.id } });
    expect2xx('auth.users.delete', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('auth.users.delete', a.body);
    expect(await profileWith(target.token)).toBe(401);
  });
});

describe('permissions and roles', () => {
  it('permissions.all: an object grouped by category', async () => {
    const a = await send('permissions.all', { token: org.users.admin.token });
    expect2xx('permissions.all', a);
    const body = obj(a.body);
    expect(Object.keys(body).length).toBeGreaterThan(0);
    for (const [category, list] of Object.entries(body)) {
      expect(Array.isArray(list) && list.length > 0, `category ${category} is a non-empty array`).toBe(true);
    }
    expectContract('permissions.all', a.body);
  });

  it('roles.list (organization=<id>): the user form\'s role options', async () => {
    const a = await send('roles.list', { token: org.users.admin.token, query: { organization: org.id } });
    expect2xx('roles.list', a);
    const list = nonEmptyList('roles.list', a.body);
    expect(list.map((r) => r.name)).toEqual(expect.arrayContaining(['Salesperson', 'Verifier', 'Supervisor', 'Team Member']));
    expectContract('roles.list', a.body);
  });

  it('roles.list (no params): the permission page', async () => {
    const a = await send('roles.list', { token: org.users.admin.token });
    expect2xx('roles.list', a);
    // A {results} object without count shows nothing on the permission page.
    if (isRecord(a.body)) expect(a.body).toHaveProperty('count');
    const list = nonEmptyList('roles.list', a.body);
    for (const r of list) expect(Array.isArray(r.permissions), `role ${String(r.name)} permissions`).toBe(true);
    expectContract('roles.list', a.body);
  });

  it('roles.create: a role by name', async () => {
    const a = await send('roles.create', { token: org.users.admin.token, body: { name: `Field Auditor ${hex()}` } });
    expect2xx('roles.create', a);
    expectContract('roles.create', a.body);
  });

  it('roles.update: a full permission list, then a rename (one key per request)', async () => {
    const name = `Reviewer ${hex()}`;
    const created = await send('roles.create', { token: org.users.admin.token, body: { name } });
    expect2xx('roles.create', created);
    const id = String(obj(created.body).id);

    const catalogue = obj((await send('permissions.all', { token: org.users.admin.token })).body);
    const allIds = Object.values(catalogue).flatMap((list) => (Array.isArray(list) ? list.filter(isRecord).map((p) => String(p.id)) : []));
    const roles = nonEmptyList('roles.list', (await send('roles.list', { token: org.users.admin.token })).body);
    const held = new Set((roles.find((r) => r.name === 'Org Admin')?.permissions as unknown[] | undefined ?? []).map(String));
    const chosen = allIds.filter((p) => held.has(p)).slice(0, 3);
    expect(chosen.length).toBeGreaterThan(0);

    const perms = await send('roles.update', { token: org.users.admin.token, params: { id }, body: { permissions: chosen } });
    expect2xx('roles.update', perms);
    expectContract('roles.update', perms.body);
    const renamed = await send('roles.update', { token: org.users.admin.token, params: { id }, body: { name: `${name} renamed` } });
    expect2xx('roles.update', renamed);
    expectContract('roles.update', renamed.body);

    const after = nonEmptyList('roles.list', (await send('roles.list', { token: org.users.admin.token })).body).find((r) => String(r.id) === id);
    expect(after?.name).toBe(`${name} renamed`);
    expect(((after?.permissions as unknown[] | undefined) ?? []).map(String).sort()).toEqual([...chosen].sort());
  });
});

describe('organizations.*', () => {
  it('organizations.list: the super admin\'s organisation table', async () => {
    const a = await send('organizations.list', { token: su.token });
    expect2xx('organizations.list', a);
    const list = nonEmptyList('organizations.list', a.body);
    expect(list.map((o) => o.name)).toContain(org.name);
    expectContract('organizations.list', a.body);
  });

  it('organizations.create: name and is_active', async () => {
    const a = await send('organizations.create', { token: su.token, body: { name: `Contract Org ${hex()}`, is_active: true } });
    expect2xx('organizations.create', a);
    expectContract('organizations.create', a.body);
  });

  it('organizations.delete: an organisation without members', async () => {
    const created = await send('organizations.create', { token: su.token, body: { name: `Empty Org ${hex()}`, is_active: true } });
    expect2xx('organizations.create', created);
    const id = String(obj(created.body).id);
    const a = await send('organizations.delete', { token: su.token, params: { id } });
    expect2xx('organizations.delete', a);
    if (a.body !== undefined) expect(obj(a.body)).not.toHaveProperty('error');
    expectContract('organizations.delete', a.body);
    const list = await send('organizations.list', { token: su.token });
    expect(nonEmptyList('organizations.list', list.body).map((o) => String(o.id))).not.toContain(id);
  });
});

// ---------------------------------------------------------------------------------------------
// 401 without a token (and with a stale one) for every auth: token entry

describe('401 without a valid token', () => {
  const someId = randomUUID();
  const requests: Record<string, () => ClientRequestOptions[]> = {
    'auth.profile.get': () => [{}],
    'auth.profile.update': () => [{ body: { first_name: 'A', last_name: 'B', email: 'a.b@example.test', phoneNumber: '+977-9812345678', address: 'X' } }],
    'auth.profile.update.multipart': () => [{ body: profileForm(`a.${hex()}@example.test`) }],
    'auth.password.change': () => [{ body: { current_password: PASSWORD, new_password: CHANGED_PASSWORD, confirm_password: CHANGED_PASSWORD } }],
    'auth.sessions.list': () => [{}],
    'auth.sessions.revoke': () => [{ params: { id: someId } }],
    'auth.users.list': (): ClientRequestOptions[] => [{}, { query: { role: 'Org Admin' } }, { query: { page_size: '1000' } }],
    'auth.users.create': () => [{
      body: { username: `x_${Date.now()}`, first_name: 'X', last_name: 'Y', email: `x.${hex()}@example.test`, contact_number: '+977-9812345678', password: CLIENT_PASSWORD, role: 'Salesperson', is_active: true, organization: org.id, teams: ['Alpha'] },
    }],
    'auth.users.create-admin': () => [{ body: { first_name: 'X', last_name: 'Y', email: `x.${hex()}@example.test`, organization: org.id, is_active: true } }],
    'auth.users.get': () => [{ params: { id: org.users.sales.id } }],
    'auth.users.put': () => [{ params: { id: org.users.sales.id }, body: { first_name: 'X', last_name: 'Y', email: org.users.sales.email, organization: org.id, is_active: true } }],
    'auth.users.patch': () => [{
      params: { id: org.users.sales.id },
      body: { username: `x_${Date.now()}`, first_name: 'X', last_name: 'Y', email: org.users.sales.email, contact_number: '+977-9812345678', role: 'Salesperson', is_active: true, organization: org.id, teams: ['Not Assigned'] },
    }],
    'auth.users.delete': () => [{ params: { id: org.users.sales.id } }],
    'auth.sales-target.set': () => [{ body: { sales_target: 5000 } }],
    'permissions.all': () => [{}],
    'roles.list': () => [{}, { query: { organization: org.id } }],
    'roles.create': () => [{ body: { name: 'Nope' } }],
    'roles.update': () => [{ params: { id: someId }, body: { name: 'Nope' } }, { params: { id: someId }, body: { permissions: [] } }],
    'organizations.list': () => [{}],
    'organizations.create': () => [{ body: { name: `Nope ${hex()}`, is_active: true } }],
    'organizations.delete': () => [{ params: { id: org.id } }],
    'security.events': () => [{
      body: { event_type: 'unauthorized_password_change_attempt', user_id: org.users.sales.id, role: 'salesperson', org_id: org.id, details: { timestamp: new Date().toISOString(), action: 'password_change_attempt', status: 'blocked' } },
    }],
  };

  for (const [id, build] of Object.entries(requests)) {
    it(`${id}: answers 401 without a token and with a stale one`, async () => {
      expect(contractEntry(id).auth).toBe('token');
      for (const opts of build()) {
        const none = await send(id, opts);
        expect(none.status, `${id} without a token: ${none.text.slice(0, 300)}`).toBe(401);
        for (const token of [STALE_KEY, STALE_JWT]) {
          const stale = await send(id, { ...opts, token });
          expect(stale.status, `${id} with a stale token: ${stale.text.slice(0, 300)}`).toBe(401);
        }
      }
      // Nothing was changed by the refused calls.
      expect(await profileWith(org.users.sales.token)).toBe(200);
    });
  }
});
