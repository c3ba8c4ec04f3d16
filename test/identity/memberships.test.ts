// /api/user-organizations/ (issue 14): a person's own memberships in every organisation, and an
// organisation's owner and admins managing those of their organisation. Ending a membership ends
// the person's sessions in that organisation only.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import type { TestApp } from '../support/app.ts';
import { auditRows, auth, insertTestUser, type TestOrg, type TestUser } from '../support/identity.ts';
import { UNKNOWN_ID } from '../support/ids.ts';
import { addMembership, expectError, loginTo, membershipOf, membershipWorld, type MembershipWorld, sessionOrg } from '../support/memberships.ts';

let person: { id: string; email: string };
let inA: TestUser;
let inB: TestUser;
let membershipA: string;
let membershipB: string;

let t: TestApp, a: TestOrg, b: TestOrg, admin2: TestUser;
let call: MembershipWorld['call'], q: MembershipWorld['q'];

const tag = () => randomBytes(3).toString('hex');
const url = (id: string | number, action = '') => `/api/user-organizations/${id}/${action}`;

beforeAll(async () => {
  ({ t, a, b, admin2, call, q } = await membershipWorld('Member'));
  // One person, two organisations: a Salesperson in A, a Verifier in B.
  person = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.salesperson)!, email: `two-orgs-${tag()}@example.test` });
  membershipB = await addMembership(t, b.id, person.id, b.roles.get(ROLE_NAMES.verifier)!);
  membershipA = (await membershipOf(t, a.id, person.id))!.id;
  inA = await loginTo(t, person.email, a.id);
  inB = await loginTo(t, person.email, b.id);
});
afterAll(() => t.close());

describe('signing in to either organisation', () => {
  it('gives the person one session per organisation', async () => {
    expect(await sessionOrg(t, inA.token)).toBe(a.id);
    expect(await sessionOrg(t, inB.token)).toBe(b.id);
  });
});

describe('GET /api/user-organizations/', () => {
  it('lists the caller’s own memberships in every organisation', async () => {
    const res = await call('GET', '/api/user-organizations/', inA.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.count).toBe(2);
    expect(body.results.map((m: { id: number }) => m.id).sort()).toEqual([Number(membershipA), Number(membershipB)].sort());
    const inBeta = body.results.find((m: { id: number }) => m.id === Number(membershipB));
    expect(inBeta).toMatchObject({ organization: Number(b.id), organization_name: b.name, role: { name: ROLE_NAMES.verifier }, membership_role: 'member', status: 'active', user: { email: person.email } });
    expect((await call('GET', '/api/user-organizations/', a.users.admin.token)).json().count).toBe(1);
    expect(expectError(await call('GET', '/api/user-organizations/?page=x', inA.token), 400).page).toEqual([expect.any(String)]);
    expectError(await call('GET', '/api/user-organizations/'), 401);
  });
});

describe('GET /api/user-organizations/{id}/', () => {
  it('shows your own membership anywhere, and the active organisation’s to its owner and admins', async () => {
    expect((await call('GET', url(membershipB), inA.token)).json()).toMatchObject({ id: Number(membershipB), organization_name: b.name });
    expect((await call('GET', url(membershipA), a.users.admin.token)).statusCode).toBe(200);
    expect((await call('GET', url(membershipA), admin2.token)).statusCode).toBe(200);
  });

  it('answers 404 to everyone else, and 401 without a token', async () => {
    expectError(await call('GET', url(membershipB), a.users.admin.token), 404);
    expectError(await call('GET', url(membershipA), a.users.sales.token), 404);
    expectError(await call('GET', url(membershipA), b.users.admin.token), 404);
    expectError(await call('GET', url(UNKNOWN_ID), inA.token), 404);
    expectError(await call('GET', url('abc'), inA.token), 404);
    expectError(await call('GET', url(membershipA)), 401);
  });
});

describe('PATCH /api/user-organizations/{id}/', () => {
  it('lets the owner change a member’s membership role and PRS role, audited', async () => {
    const res = await call('PATCH', url(membershipA), a.users.admin.token, { membership_role: 'admin', role: ROLE_NAMES.supervisor });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ membership_role: 'admin', role: { name: ROLE_NAMES.supervisor } });
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ membership_role: 'admin', role_id: a.roles.get(ROLE_NAMES.supervisor) });
    expect((await auditRows(t, 'membership', membershipA)).at(-1)).toMatchObject({ action: 'update', old_values: { membership_role: 'member', role: ROLE_NAMES.salesperson }, new_values: { membership_role: 'admin', role: ROLE_NAMES.supervisor } });
    // The person's other organisation is untouched.
    expect(await membershipOf(t, b.id, person.id)).toMatchObject({ membership_role: 'member', role_id: b.roles.get(ROLE_NAMES.verifier) });
    const back = await call('PATCH', url(membershipA), admin2.token, { membership_role: 'member', role: Number(a.roles.get(ROLE_NAMES.salesperson)) });
    expect(back.statusCode).toBe(200);
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ membership_role: 'member', role_id: a.roles.get(ROLE_NAMES.salesperson) });
  });

  it('refuses: owner as a value (400), bad values (400), your own role (403), the owner’s membership to an admin (403), members (403)', async () => {
    expect(expectError(await call('PATCH', url(membershipA), a.users.admin.token, { membership_role: 'owner' }), 400).membership_role).toEqual([expect.stringMatching(/transfer_ownership/)]);
    expect(expectError(await call('PATCH', url(membershipA), a.users.admin.token, { membership_role: 'boss' }), 400).membership_role).toEqual([expect.any(String)]);
    expect(expectError(await call('PATCH', url(membershipA), a.users.admin.token, { role: 'Astronaut' }), 400).role).toEqual([expect.any(String)]);
    const own = (await membershipOf(t, a.id, admin2.id))!;
    expectError(await call('PATCH', url(own.id), admin2.token, { membership_role: 'member' }), 403, 'self_role_change');
    const owner = (await membershipOf(t, a.id, a.users.admin.id))!;
    expectError(await call('PATCH', url(owner.id), admin2.token, { membership_role: 'member' }), 403);
    expectError(await call('PATCH', url(owner.id), a.users.admin.token, { membership_role: 'member' }), 403, 'self_role_change');
    expectError(await call('PATCH', url(membershipA), a.users.sales.token, { membership_role: 'admin' }), 403);
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ membership_role: 'member' });
    expect(await membershipOf(t, a.id, admin2.id)).toMatchObject({ membership_role: 'admin' });
    expect(await membershipOf(t, a.id, a.users.admin.id)).toMatchObject({ membership_role: 'owner' });
  });

  it('answers another organisation’s membership with 404 and no token with 401', async () => {
    expectError(await call('PATCH', url(membershipB), a.users.admin.token, { membership_role: 'admin' }), 404);
    expectError(await call('PATCH', url(UNKNOWN_ID), a.users.admin.token, { membership_role: 'admin' }), 404);
    expectError(await call('PATCH', url(membershipA), undefined, { membership_role: 'admin' }), 401);
    expect(await membershipOf(t, b.id, person.id)).toMatchObject({ membership_role: 'member' });
  });
});

describe('POST /api/user-organizations/{id}/deactivate/ and activate/', () => {
  it('refuses members (403), another organisation (404), no token (401)', async () => {
    expectError(await call('POST', url(membershipA, 'deactivate/'), a.users.sales.token), 403);
    expectError(await call('POST', url(membershipB, 'deactivate/'), a.users.admin.token), 404);
    expectError(await call('POST', url(UNKNOWN_ID, 'deactivate/'), a.users.admin.token), 404);
    expectError(await call('POST', url(membershipA, 'deactivate/')), 401);
    expectError(await call('POST', url(membershipA, 'activate/'), a.users.sales.token), 403);
    expectError(await call('POST', url(membershipB, 'activate/'), a.users.admin.token), 404);
    expectError(await call('POST', url(membershipA, 'activate/')), 401);
    expect((await membershipOf(t, a.id, person.id))?.is_active).toBe(true);
  });

  it('ends the person’s sessions and socket tokens in that organisation only', async () => {
    const sessions = await q<{ id: string; organization_id: string }>(sql`SELECT id, organization_id FROM auth_sessions WHERE user_id = ${person.id} AND revoked_at IS NULL`);
    for (const s of sessions) {
      await q(sql`INSERT INTO ws_tokens (token_hash, user_id, session_id, expires_at) VALUES (${`ws-${tag()}`}, ${person.id}, ${s.id}, now() + interval '1 minute')`);
    }
    const res = await call('POST', url(membershipA, 'deactivate/'), a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: expect.any(String), membership: { id: Number(membershipA), is_active: false } });
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ is_active: false, deactivated_by: String(a.users.admin.id), left_at: null });
    // A's token is dead at once; B's keeps working.
    expectError(await call('GET', '/api/auth/profile/', inA.token), 401);
    expect((await call('GET', '/api/auth/profile/', inB.token)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/user-organizations/', headers: auth(inB.access) })).statusCode).toBe(200);
    const after = await q<{ organization_id: string; revoked_reason: string | null }>(sql`SELECT organization_id, revoked_reason FROM auth_sessions WHERE user_id = ${person.id}`);
    expect(after.filter((s) => s.organization_id === a.id).every((s) => s.revoked_reason === 'membership_deactivated')).toBe(true);
    expect(after.filter((s) => s.organization_id === b.id).every((s) => s.revoked_reason === null)).toBe(true);
    const tokens = await q<{ organization_id: string }>(sql`SELECT s.organization_id FROM ws_tokens w JOIN auth_sessions s ON s.id = w.session_id WHERE w.user_id = ${person.id}`);
    expect(tokens.map((x) => x.organization_id)).toEqual([b.id]);
    expect((await auditRows(t, 'membership', membershipA)).at(-1)).toMatchObject({ action: 'deactivate', organization_id: a.id });
    // Idempotent.
    const again = await call('POST', url(membershipA, 'deactivate/'), a.users.admin.token);
    expect(again.statusCode).toBe(200);
    expect(again.json().membership.is_active).toBe(false);
  });

  it('re-invites a person who also belongs elsewhere: pending until they accept', async () => {
    const res = await call('POST', url(membershipA, 'activate/'), admin2.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().membership).toMatchObject({ status: 'pending', is_active: false, user: null });
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ status: 'pending', is_active: false, invited_by: String(admin2.id), invited_email: person.email });
    const invitations = await call('GET', '/api/invitations/', inB.token);
    expect(invitations.json().results.map((i: { id: number }) => i.id)).toEqual([Number(membershipA)]);
    expect((await call('POST', `/api/invitations/${membershipA}/accept/`, inB.token)).statusCode).toBe(200);
    expect(await membershipOf(t, a.id, person.id)).toMatchObject({ status: 'active', is_active: true });
  });

  it('activates directly a person the organisation alone holds', async () => {
    const own = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.teamMember)!, email: `only-a-${tag()}@example.test` });
    const m = (await membershipOf(t, a.id, own.id))!;
    expect((await call('POST', url(m.id, 'deactivate/'), a.users.admin.token)).statusCode).toBe(200);
    const res = await call('POST', url(m.id, 'activate/'), a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().membership).toMatchObject({ status: 'active', is_active: true, user: { email: own.email } });
    expect(await membershipOf(t, a.id, own.id)).toMatchObject({ status: 'active', is_active: true, deactivated_by: null });
  });

  it('lets the person leave an organisation themself, from any of their sessions', async () => {
    const res = await call('POST', url(membershipA, 'deactivate/'), inB.token);
    expect(res.statusCode).toBe(200);
    const m = (await membershipOf(t, a.id, person.id))!;
    expect(m).toMatchObject({ is_active: false, deactivated_by: null });
    expect(m.left_at).not.toBeNull();
    expect((await auditRows(t, 'membership', membershipA)).at(-1)).toMatchObject({ action: 'leave', actor_id: person.id });
    expect((await call('GET', '/api/auth/profile/', inB.token)).statusCode).toBe(200);
  });
});
