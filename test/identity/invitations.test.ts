// Adding people to an organisation (issue 14): a new e-mail gets an account as user creation
// makes one; an existing person gets a pending membership they accept or decline (or the owner
// confirms), and until then the organisation sees neither their name nor their account, and
// never changes it. Also the caller's organisations and an organisation's member list.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import type { TestApp } from '../support/app.ts';
import { auditRows, type TestOrg, type TestUser } from '../support/identity.ts';
import { UNKNOWN_ID } from '../support/ids.ts';
import { expectError, membershipOf, type MembershipWorld, membershipWorld } from '../support/memberships.ts';


let t: TestApp, a: TestOrg, b: TestOrg, su: TestUser, admin2: TestUser;
let call: MembershipWorld['call'], q: MembershipWorld['q'];

const tag = () => randomBytes(3).toString('hex');

beforeAll(async () => {
  ({ t, a, b, su, admin2, call, q } = await membershipWorld('Invite'));
});
afterAll(() => t.close());

const addUrl = (orgId: string) => `/api/organizations/${orgId}/add_member/`;
const membersUrl = (orgId: string, query = '') => `/api/organizations/${orgId}/members/${query}`;

interface UserState {
  email: string;
  first_name: string;
  last_name: string;
  password_hash: string;
  must_change_password: boolean;
  updated_at: string;
}
async function userState(id: string) {
  const [u] = await q<UserState>(sql`SELECT email, first_name, last_name, password_hash, must_change_password, updated_at FROM users WHERE id = ${id}`);
  return u;
}

describe('POST /api/organizations/{id}/add_member/ — a new e-mail', () => {
  it('creates the account as user creation does (generated password e-mailed, to be changed) with an active membership', async () => {
    const email = `New.Person-${tag()}@Example.test`;
    const res = await call('POST', addUrl(a.id), a.users.admin.token, { email, first_name: 'New', last_name: 'Person' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ user_created: true, message: expect.any(String) });
    expect(body.membership).toMatchObject({
      organization: Number(a.id),
      user: { email: email.toLowerCase(), first_name: 'New', last_name: 'Person', full_name: 'New Person' },
      membership_role: 'member',
      is_owner: false,
      role: { name: ROLE_NAMES.salesperson },
      status: 'active',
      is_active: true,
    });
    const [u] = await q<{ id: string; must_change_password: boolean }>(sql`SELECT id, must_change_password FROM users WHERE email = ${email.toLowerCase()}`);
    expect(u?.must_change_password).toBe(true);
    expect(body.membership.user.id).toBe(Number(u!.id));
    expect(await membershipOf(t, a.id, u!.id)).toMatchObject({ status: 'active', is_active: true, membership_role: 'member' });
    const mails = await q<{ body: string }>(sql`SELECT body FROM email_outbox WHERE recipient = ${email.toLowerCase()}`);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.body).toMatch(/temporary password/);
    expect((await auditRows(t, 'membership', String(body.membership.id))).map((r) => r.action)).toEqual(['create']);
  });

  it('takes the membership role and a role by name or id; an admin may add people too', async () => {
    const email = `admin-added-${tag()}@example.test`;
    const res = await call('POST', addUrl(a.id), admin2.token, { email, role: Number(a.roles.get(ROLE_NAMES.verifier)!), membership_role: 'admin' });
    expect(res.statusCode).toBe(201);
    expect(res.json().membership).toMatchObject({ membership_role: 'admin', role: { name: ROLE_NAMES.verifier } });
  });

  it('refuses a role the caller cannot assign (403) and people who are neither owner nor admin (403)', async () => {
    // A member made admin by membership role, but whose PRS role lacks the Org Admin role's permissions.
    await q(sql`UPDATE memberships SET membership_role = 'admin' WHERE organization_id = ${a.id} AND user_id = ${a.users.lead.id}`);
    const email = `not-assignable-${tag()}@example.test`;
    expectError(await call('POST', addUrl(a.id), a.users.lead.token, { email, role: ROLE_NAMES.orgAdmin }), 403, 'permission_not_held');
    await q(sql`UPDATE memberships SET membership_role = 'member' WHERE organization_id = ${a.id} AND user_id = ${a.users.lead.id}`);
    // The Supervisor holds users:view but is no owner or admin.
    expectError(await call('POST', addUrl(a.id), a.users.supervisor.token, { email }), 403);
    expectError(await call('POST', addUrl(a.id), a.users.sales.token, { email }), 403);
    expect(await q(sql`SELECT 1 FROM users WHERE email = ${email}`)).toEqual([]);
  });

  it('answers bad input with 400 field errors, another organisation with 404, no token with 401', async () => {
    const body = expectError(await call('POST', addUrl(a.id), a.users.admin.token, { email: 'not-an-email', membership_role: 'owner' }), 400);
    expect(body.email).toEqual([expect.any(String)]);
    expect(body.membership_role).toEqual([expect.any(String)]);
    expect(expectError(await call('POST', addUrl(a.id), a.users.admin.token, {}), 400).email).toEqual(['This field is required.']);
    const email = `nowhere-${tag()}@example.test`;
    expect(expectError(await call('POST', addUrl(a.id), a.users.admin.token, { email, role: 'Astronaut' }), 400).role).toEqual([expect.any(String)]);
    expectError(await call('POST', addUrl(b.id), a.users.admin.token, { email }), 404);
    expectError(await call('POST', addUrl(UNKNOWN_ID), a.users.admin.token, { email }), 404);
    expectError(await call('POST', addUrl(a.id), undefined, { email }), 401);
    expect(await q(sql`SELECT 1 FROM users WHERE email = ${email}`)).toEqual([]);
  });

  it('lets a Super Admin add to any organisation', async () => {
    const res = await call('POST', addUrl(b.id), su.token, { email: `by-root-${tag()}@example.test` });
    expect(res.statusCode).toBe(201);
    expect(res.json().membership.organization).toBe(Number(b.id));
  });
});

describe('POST /api/organizations/{id}/add_member/ — an existing person', () => {
  let person: TestUser;
  let before: UserState;
  let membershipId: number;

  beforeAll(async () => {
    person = b.users.verifier;
    before = (await userState(String(person.id)))!;
  });

  it('creates a pending membership, notifies the person outside any organisation and e-mails them', async () => {
    const res = await call('POST', addUrl(a.id), a.users.admin.token, { email: person.email.toUpperCase(), first_name: 'Renamed', last_name: 'Person' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user_created).toBe(false);
    expect(body.membership).toMatchObject({ user: null, invited_email: person.email, status: 'pending', is_active: false, joined_at: null, invited_by: Number(a.users.admin.id) });
    membershipId = body.membership.id;
    expect(await membershipOf(t, a.id, String(person.id))).toMatchObject({ status: 'pending', is_active: false, invited_by: String(a.users.admin.id), invited_email: person.email });
    const notes = await q<{ organization_id: string | null; notification_type: string }>(sql`SELECT organization_id, notification_type FROM notifications WHERE recipient_id = ${person.id} AND notification_type = 'organization_invitation'`);
    expect(notes).toEqual([{ organization_id: null, notification_type: 'organization_invitation' }]);
    expect(await q(sql`SELECT 1 FROM email_outbox WHERE recipient = ${person.email} AND subject LIKE 'Invitation to join%'`)).toHaveLength(1);
    expect((await auditRows(t, 'membership', String(membershipId))).map((r) => r.action)).toEqual(['invite']);
    // The person's account is theirs: nothing changed.
    expect(await userState(String(person.id))).toEqual(before);
  });

  it('keeps the invitee out of the organisation’s user list and shows them only by the invited address', async () => {
    const users = await call('GET', `/api/auth/users/?search=${encodeURIComponent(person.email)}`, a.users.admin.token);
    expect(users.statusCode).toBe(200);
    expect(users.json().results).toEqual([]);
    const active = await call('GET', membersUrl(a.id), a.users.admin.token);
    expect(active.json().results.map((m: { id: number }) => m.id)).not.toContain(membershipId);
    const pending = await call('GET', membersUrl(a.id, '?status=pending'), a.users.admin.token);
    expect(pending.statusCode).toBe(200);
    const item = pending.json().results.find((m: { id: number }) => m.id === membershipId);
    expect(item).toMatchObject({ user: null, invited_email: person.email, status: 'pending' });
    // Searching by the person's name does not find the invitation.
    const byName = await call('GET', membersUrl(a.id, '?status=pending&search=User'), a.users.admin.token);
    expect(byName.json().results.map((m: { id: number }) => m.id)).not.toContain(membershipId);
    const byAddress = await call('GET', membersUrl(a.id, `?status=pending&search=${encodeURIComponent(person.email.split('@')[0]!)}`), a.users.admin.token);
    expect(byAddress.json().results.map((m: { id: number }) => m.id)).toContain(membershipId);
  });

  it('answers a second invitation with 409 already_invited and an active member with 409 duplicate', async () => {
    const again = expectError(await call('POST', addUrl(a.id), a.users.admin.token, { email: person.email }), 409, 'already_invited');
    expect(again.email).toEqual([expect.any(String)]);
    const dup = expectError(await call('POST', addUrl(a.id), a.users.admin.token, { email: a.users.sales.email }), 409, 'duplicate');
    expect(dup.email).toEqual([expect.any(String)]);
  });

  it('lists the invitation for the person only', async () => {
    const mine = await call('GET', '/api/invitations/', person.token);
    expect(mine.statusCode).toBe(200);
    expect(mine.json().results).toEqual([
      {
        id: membershipId,
        organization: Number(a.id),
        organization_name: a.name,
        invited_by_name: 'Test User',
        invited_at: expect.any(String),
        membership_role: 'member',
        role: { id: Number(a.roles.get(ROLE_NAMES.salesperson)), name: ROLE_NAMES.salesperson },
      },
    ]);
    expect((await call('GET', '/api/invitations/', a.users.sales.token)).json()).toMatchObject({ count: 0, results: [] });
    expectError(await call('GET', '/api/invitations/'), 401);
    expect(expectError(await call('GET', '/api/invitations/?page=0', person.token), 400).page).toEqual([expect.any(String)]);
  });

  it('refuses to accept or decline someone else’s invitation (404)', async () => {
    for (const who of [a.users.admin, a.users.sales, b.users.sales]) {
      expectError(await call('POST', `/api/invitations/${membershipId}/accept/`, who.token), 404);
      expectError(await call('POST', `/api/invitations/${membershipId}/decline/`, who.token), 404);
    }
    expectError(await call('POST', `/api/invitations/${UNKNOWN_ID}/accept/`, person.token), 404);
    expectError(await call('POST', '/api/invitations/abc/accept/', person.token), 404);
    expectError(await call('POST', `/api/invitations/${membershipId}/accept/`), 401);
    expect((await membershipOf(t, a.id, String(person.id)))?.status).toBe('pending');
  });

  it('makes the person a member once they accept', async () => {
    const res = await call('POST', `/api/invitations/${membershipId}/accept/`, person.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().membership).toMatchObject({ id: membershipId, status: 'active', is_active: true, user: { email: person.email } });
    const m = (await membershipOf(t, a.id, String(person.id)))!;
    expect(m).toMatchObject({ status: 'active', is_active: true, accepted_by: String(person.id) });
    expect(m.accepted_at).not.toBeNull();
    const users = await call('GET', `/api/auth/users/?search=${encodeURIComponent(person.email)}`, a.users.admin.token);
    expect(users.json().results.map((u: { id: number }) => u.id)).toEqual([Number(person.id)]);
    expectError(await call('POST', `/api/invitations/${membershipId}/accept/`, person.token), 404);
    expect(await userState(String(person.id))).toEqual(before);
  });

  it('lists both organisations in the person’s my_organizations, the current one marked', async () => {
    const res = await call('GET', '/api/organizations/my_organizations/', person.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.count).toBe(2);
    const byOrg = Object.fromEntries(body.results.map((o: { id: number }) => [String(o.id), o]));
    expect(byOrg[b.id]).toMatchObject({ name: b.name, is_current: true, membership_role: 'member', is_owner: false, role: { name: ROLE_NAMES.verifier }, member_count: expect.any(Number) });
    expect(byOrg[a.id]).toMatchObject({ name: a.name, is_current: false, membership_id: membershipId, role: { name: ROLE_NAMES.salesperson } });
    expect(byOrg[a.id].joined_at).toEqual(expect.any(String));
    const owner = await call('GET', '/api/organizations/my_organizations/', a.users.admin.token);
    expect(owner.json().results).toEqual([expect.objectContaining({ id: Number(a.id), is_owner: true, membership_role: 'owner', is_current: true })]);
    const paged = await call('GET', '/api/organizations/my_organizations/?page_size=1', person.token);
    expect(paged.json()).toMatchObject({ count: 2, next: expect.any(String) });
    expect(paged.json().results).toHaveLength(1);
    expect(expectError(await call('GET', '/api/organizations/my_organizations/?page_size=x', person.token), 400).page_size).toEqual([expect.any(String)]);
    expectError(await call('GET', '/api/organizations/my_organizations/'), 401);
  });
});

describe('declining and the owner’s confirmation', () => {
  const invite = async (email: string) => {
    const res = await call('POST', addUrl(a.id), a.users.admin.token, { email });
    expect(res.statusCode).toBe(201);
    return res.json().membership.id as number;
  };

  it('deletes a declined invitation', async () => {
    const id = await invite(b.users.lead.email);
    const res = await call('POST', `/api/invitations/${id}/decline/`, b.users.lead.token);
    expect(res.statusCode).toBe(204);
    expect(await membershipOf(t, a.id, String(b.users.lead.id))).toBeUndefined();
    expectError(await call('POST', `/api/invitations/${id}/decline/`, b.users.lead.token), 404);
    expect((await auditRows(t, 'membership', String(id))).map((r) => r.action)).toEqual(['invite', 'decline']);
  });

  it('lets the owner (only) confirm a pending membership', async () => {
    const id = await invite(b.users.member.email);
    const url = `/api/organizations/${a.id}/members/${id}/confirm/`;
    expectError(await call('POST', url, admin2.token), 403, 'owner_required');
    expectError(await call('POST', url, a.users.sales.token), 403, 'owner_required');
    expectError(await call('POST', `/api/organizations/${b.id}/members/${id}/confirm/`, a.users.admin.token), 404);
    expectError(await call('POST', `/api/organizations/${b.id}/members/${id}/confirm/`, b.users.admin.token), 404);
    expectError(await call('POST', `/api/organizations/${a.id}/members/${UNKNOWN_ID}/confirm/`, a.users.admin.token), 404);
    expectError(await call('POST', `/api/organizations/${a.id}/members/abc/confirm/`, a.users.admin.token), 404);
    expectError(await call('POST', url), 401);
    expect((await membershipOf(t, a.id, String(b.users.member.id)))?.status).toBe('pending');
    const res = await call('POST', url, a.users.admin.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().membership).toMatchObject({ status: 'active', is_active: true });
    expect(await membershipOf(t, a.id, String(b.users.member.id))).toMatchObject({ status: 'active', is_active: true, accepted_by: String(a.users.admin.id) });
    expectError(await call('POST', url, a.users.admin.token), 409, 'not_pending');
    expect((await auditRows(t, 'membership', String(id))).map((r) => r.action)).toEqual(['invite', 'confirm']);
  });
});

describe('GET /api/organizations/{id}/members/', () => {
  it('shows owners, admins and holders of users:view the active members, invitations only to owners and admins', async () => {
    const owner = await call('GET', membersUrl(a.id), a.users.admin.token);
    expect(owner.statusCode).toBe(200);
    const [n] = await q<{ n: number }>(sql`SELECT count(*)::int AS n FROM memberships WHERE organization_id = ${a.id} AND status = 'active'`);
    expect(owner.json().count).toBe(n!.n);
    const first = owner.json().results[0];
    expect(first).toMatchObject({ membership_role: 'owner', is_owner: true, user: { id: Number(a.users.admin.id), email: a.users.admin.email }, status: 'active', organization: Number(a.id) });
    expect(Object.keys(first).sort()).toEqual(
      ['id', 'organization', 'user', 'invited_email', 'membership_role', 'is_owner', 'role', 'is_active', 'status', 'joined_at', 'left_at', 'invited_by', 'invitation_accepted_at'].sort(),
    );
    const supervisor = await call('GET', membersUrl(a.id, '?search=supervisor'), a.users.supervisor.token);
    expect(supervisor.statusCode).toBe(200);
    expect(supervisor.json().results.map((m: { user: { id: number } }) => m.user.id)).toEqual([Number(a.users.supervisor.id)]);
    expectError(await call('GET', membersUrl(a.id, '?status=pending'), a.users.supervisor.token), 403);
    expectError(await call('GET', membersUrl(a.id, '?status=all'), a.users.supervisor.token), 403);
    expect((await call('GET', membersUrl(a.id, '?status=all'), admin2.token)).statusCode).toBe(200);
    expectError(await call('GET', membersUrl(a.id), a.users.sales.token), 403);
    const inactive = await call('GET', membersUrl(a.id, '?is_active=false'), a.users.admin.token);
    expect(inactive.json().results.every((m: { is_active: boolean }) => !m.is_active)).toBe(true);
  });

  it('answers bad filters with 400, another organisation with 404 (Super Admin: any), no token with 401', async () => {
    const body = expectError(await call('GET', membersUrl(a.id, '?status=gone&is_active=maybe'), a.users.admin.token), 400);
    expect(body.status).toEqual([expect.any(String)]);
    expect(body.is_active).toEqual([expect.any(String)]);
    expectError(await call('GET', membersUrl(b.id), a.users.admin.token), 404);
    expectError(await call('GET', membersUrl('abc'), a.users.admin.token), 404);
    expectError(await call('GET', membersUrl(UNKNOWN_ID), su.token), 404);
    const root = await call('GET', membersUrl(b.id, '?status=all'), su.token);
    expect(root.statusCode).toBe(200);
    expect(root.json().count).toBeGreaterThan(0);
    expectError(await call('GET', membersUrl(a.id)), 401);
  });
});
