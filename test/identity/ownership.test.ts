// The owner rules of issue 14: only an organisation's owner (or a Super Admin) edits, deletes or
// hands over the organisation; an organisation always keeps one owner, so the last owner cannot
// leave. Checked through HTTP and in the database, including the database's own guards.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { createDefaultRoles } from '../../src/core/access/service.ts';
import type { TestApp } from '../support/app.ts';
import { auditRows, createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { UNKNOWN_ID } from '../support/ids.ts';
import { addMembership, expectError, membershipOf, membershipWorld, type MembershipWorld } from '../support/memberships.ts';


let t: TestApp, a: TestOrg, b: TestOrg, su: TestUser, admin2: TestUser;
let call: MembershipWorld['call'], q: MembershipWorld['q'];

const tag = () => randomBytes(3).toString('hex');

beforeAll(async () => {
  ({ t, a, b, su, admin2, call, q } = await membershipWorld('Owner'));
});
afterAll(() => t.close());

const description = async (orgId: string) => (await q<{ description: string }>(sql`SELECT description FROM organizations WHERE id = ${orgId}`))[0]?.description;

/** An organisation whose Org Admin holds membership role 'admin' (as migrated without an owner). */
async function ownerlessOrg() {
  const name = `Ownerless ${tag()}`;
  const { id, roles } = await t.db.system(async (tx) => {
    const [org] = await rows<{ id: string }>(tx, sql`INSERT INTO organizations (name) VALUES (${name}) RETURNING id`);
    return { id: org!.id, roles: await createDefaultRoles(tx, org!.id) };
  });
  const admin = await insertTestUser(t, { email: `ownerless-admin-${tag()}@example.test` });
  const sales = await insertTestUser(t, { email: `ownerless-sales-${tag()}@example.test` });
  await addMembership(t, id, admin.id, roles.get(ROLE_NAMES.orgAdmin)!, 'admin');
  await addMembership(t, id, sales.id, roles.get(ROLE_NAMES.salesperson)!);
  expect(await q(sql`SELECT 1 FROM memberships WHERE organization_id = ${id} AND membership_role = 'owner'`)).toEqual([]);
  return { id, admin: await login(t, admin.email), sales: await login(t, sales.email) };
}

/** The database's message for a refused statement (drizzle wraps it). */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause;
    return `${(err as Error).message} ${cause?.message ?? ''}`;
  }
  return 'no error';
}

describe('the first Org Admin is the owner', () => {
  it('makes createOrg’s admin the owner and a later Org Admin an admin', async () => {
    expect((await membershipOf(t, a.id, a.users.admin.id))?.membership_role).toBe('owner');
    expect((await membershipOf(t, a.id, admin2.id))?.membership_role).toBe('admin');
    expect((await membershipOf(t, a.id, a.users.sales.id))?.membership_role).toBe('member');
  });
});

describe('PUT/PATCH /api/organizations/{id}/', () => {
  it('lets the owner update the organisation', async () => {
    const text = `By the owner ${tag()}`;
    const res = await call('PATCH', `/api/organizations/${a.id}/`, a.users.admin.token, { description: text });
    expect(res.statusCode).toBe(200);
    expect(res.json().description).toBe(text);
    expect(await description(a.id)).toBe(text);
    const put = await call('PUT', `/api/organizations/${a.id}/`, a.users.admin.token, { name: a.name, description: `${text}!` });
    expect(put.statusCode).toBe(200);
    expect(await description(a.id)).toBe(`${text}!`);
  });

  it('refuses an Org Admin whose membership role is admin, and other members, with owner_required', async () => {
    const before = await description(a.id);
    const body = expectError(await call('PATCH', `/api/organizations/${a.id}/`, admin2.token, { description: 'admin' }), 403, 'owner_required');
    expect(body.detail).toBe('Only organization owners can update the organisation.');
    expectError(await call('PUT', `/api/organizations/${a.id}/`, admin2.token, { name: a.name, description: 'admin' }), 403, 'owner_required');
    expectError(await call('PATCH', `/api/organizations/${a.id}/`, a.users.sales.token, { description: 'sales' }), 403);
    expect(await description(a.id)).toBe(before);
  });

  it('lets a Super Admin update any organisation', async () => {
    const res = await call('PATCH', `/api/organizations/${b.id}/`, su.token, { description: 'platform' });
    expect(res.statusCode).toBe(200);
    expect(await description(b.id)).toBe('platform');
  });

  it('answers another organisation’s id (and an unknown one) with 404 before any role check, and no token with 401', async () => {
    for (const who of [a.users.admin, admin2, a.users.sales]) {
      expectError(await call('PATCH', `/api/organizations/${b.id}/`, who.token, { description: 'x' }), 404);
      expectError(await call('PATCH', `/api/organizations/${UNKNOWN_ID}/`, who.token, { description: 'x' }), 404);
    }
    expect(await description(b.id)).toBe('platform');
    expectError(await call('PATCH', `/api/organizations/${a.id}/`, undefined, { description: 'x' }), 401);
  });

  it('answers bad input with 400 field errors', async () => {
    const body = expectError(await call('PATCH', `/api/organizations/${a.id}/`, a.users.admin.token, { currency: 'dollars', time_zone: 'Mars/Base' }), 400);
    expect(body.currency).toEqual([expect.any(String)]);
    expect(body.time_zone).toEqual([expect.any(String)]);
  });

  it('leaves the right to holders of organization:change while the organisation has no owner', async () => {
    const org = await ownerlessOrg();
    const res = await call('PATCH', `/api/organizations/${org.id}/`, org.admin.token, { description: 'no owner yet' });
    expect(res.statusCode).toBe(200);
    expect(await description(org.id)).toBe('no owner yet');
    expectError(await call('PATCH', `/api/organizations/${org.id}/`, org.sales.token, { description: 'x' }), 403);
  });
});

describe('DELETE /api/organizations/{id}/', () => {
  it('refuses the owner while other people belong to the organisation (409, protected foreign keys)', async () => {
    const body = expectError(await call('DELETE', `/api/organizations/${a.id}/`, a.users.admin.token), 409);
    expect(body.detail).toContain('protected foreign keys');
    expect(await description(a.id)).toBeDefined();
  });

  it('refuses admins and members with 403 owner_required, another organisation with 404, no token with 401', async () => {
    expectError(await call('DELETE', `/api/organizations/${a.id}/`, admin2.token), 403, 'owner_required');
    expectError(await call('DELETE', `/api/organizations/${a.id}/`, a.users.sales.token), 403, 'owner_required');
    expectError(await call('DELETE', `/api/organizations/${b.id}/`, a.users.admin.token), 404);
    expectError(await call('DELETE', `/api/organizations/${a.id}/`), 401);
    expect(await description(a.id)).toBeDefined();
    expect(await description(b.id)).toBeDefined();
  });

  it('lets an owner alone in their organisation delete it, and audits it', async () => {
    const reg = await call('POST', '/api/organizations/register/', undefined, {
      name: `Solo ${tag()}`,
      admin_email: `solo-${tag()}@example.test`,
      admin_password: 'Granite-Falcon-73!',
    });
    expect(reg.statusCode).toBe(201);
    const token = reg.json().token as string;
    const orgId = String(reg.json().user.organization);
    expect((await membershipOf(t, orgId, String(reg.json().user.id)))?.membership_role).toBe('owner');
    const res = await call('DELETE', `/api/organizations/${orgId}/`, token);
    expect(res.statusCode).toBe(204);
    expect(await description(orgId)).toBeUndefined();
    expect(await q(sql`SELECT 1 FROM memberships WHERE organization_id = ${orgId}`)).toEqual([]);
    expect((await auditRows(t, 'organization', orgId)).map((r) => r.action)).toContain('delete');
    // The session acted in the organisation: it went with it.
    expectError(await call('GET', '/api/auth/profile/', token), 401);
  });

  it('keeps the Super Admin path: a Super Admin cannot delete an organisation with members (409)', async () => {
    const body = expectError(await call('DELETE', `/api/organizations/${b.id}/`, su.token), 409);
    expect(body.detail).toContain('protected foreign keys');
  });
});

describe('POST /api/organizations/{id}/transfer_ownership/', () => {
  let org: TestOrg;
  let second: TestUser;
  beforeAll(async () => {
    org = await createOrg(t, `Transfer ${tag()}`);
    const u = await insertTestUser(t, { orgId: org.id, roleId: org.roles.get(ROLE_NAMES.orgAdmin)!, email: `second-${tag()}@example.test` });
    second = await login(t, u.email);
  });
  const url = () => `/api/organizations/${org.id}/transfer_ownership/`;

  it('refuses an admin (403), and bad input (400), yourself (400), a non-member or pending member (404), another organisation (404), no token (401)', async () => {
    expectError(await call('POST', url(), second.token, { user_id: Number(second.id) }), 403, 'owner_required');
    expectError(await call('POST', url(), org.users.sales.token, { user_id: Number(org.users.sales.id) }), 403, 'owner_required');
    expect((expectError(await call('POST', url(), org.users.admin.token, { user_id: 'abc' }), 400)).user_id).toEqual([expect.any(String)]);
    expect((expectError(await call('POST', url(), org.users.admin.token, {}), 400)).user_id).toEqual(['This field is required.']);
    expect(expectError(await call('POST', url(), org.users.admin.token, { user_id: Number(org.users.admin.id) }), 400).user_id).toEqual([expect.any(String)]);
    expectError(await call('POST', url(), org.users.admin.token, { user_id: Number(b.users.sales.id) }), 404);
    const pending = await insertTestUser(t, {});
    await q(sql`INSERT INTO memberships (organization_id, user_id, role_id, status, is_active, invited_email, invited_at)
      VALUES (${org.id}, ${pending.id}, ${org.roles.get(ROLE_NAMES.salesperson)!}, 'pending', false, ${pending.email}, now())`);
    const body = expectError(await call('POST', url(), org.users.admin.token, { user_id: Number(pending.id) }), 404);
    expect(body.detail).toBe('Member not found.');
    expectError(await call('POST', `/api/organizations/${b.id}/transfer_ownership/`, org.users.admin.token, { user_id: Number(b.users.sales.id) }), 404);
    expectError(await call('POST', url(), undefined, { user_id: Number(second.id) }), 401);
    expect((await membershipOf(t, org.id, org.users.admin.id))?.membership_role).toBe('owner');
  });

  it('swaps owner and admin in one step, audits it, and moves the owner rights', async () => {
    const res = await call('POST', url(), org.users.admin.token, { user_id: Number(second.id) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: expect.any(String), organization: Number(org.id), owner: { user_id: Number(second.id), email: second.email } });
    expect((await membershipOf(t, org.id, second.id))?.membership_role).toBe('owner');
    expect((await membershipOf(t, org.id, org.users.admin.id))?.membership_role).toBe('admin');
    const audit = (await auditRows(t, 'organization', org.id)).filter((r) => r.action === 'transfer_ownership');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: String(org.users.admin.id), old_values: { owner: String(org.users.admin.id) }, new_values: { owner: String(second.id) } });
    // The former owner is an admin now: no more owner rights.
    expectError(await call('PATCH', `/api/organizations/${org.id}/`, org.users.admin.token, { description: 'x' }), 403, 'owner_required');
    expect((await call('PATCH', `/api/organizations/${org.id}/`, second.token, { description: 'new owner' })).statusCode).toBe(200);
    expectError(await call('POST', url(), org.users.admin.token, { user_id: Number(org.users.admin.id) }), 403, 'owner_required');
  });

  it('lets a Super Admin give an owner-less organisation its owner', async () => {
    const ownerless = await ownerlessOrg();
    const res = await call('POST', `/api/organizations/${ownerless.id}/transfer_ownership/`, su.token, { user_id: Number(ownerless.sales.id) });
    expect(res.statusCode).toBe(200);
    expect((await membershipOf(t, ownerless.id, String(ownerless.sales.id)))?.membership_role).toBe('owner');
    expect((await membershipOf(t, ownerless.id, String(ownerless.admin.id)))?.membership_role).toBe('admin');
    expectError(await call('POST', `/api/organizations/${UNKNOWN_ID}/transfer_ownership/`, su.token, { user_id: 1 }), 404);
  });
});

describe('the last owner cannot leave', () => {
  it('answers 409 last_owner until ownership is transferred, then lets the former owner leave', async () => {
    const org = await createOrg(t, `Leave ${tag()}`);
    const own = (await membershipOf(t, org.id, org.users.admin.id))!;
    const body = expectError(await call('POST', `/api/user-organizations/${own.id}/deactivate/`, org.users.admin.token), 409, 'last_owner');
    expect(body.detail).toBe('Transfer ownership before leaving.');
    expect((await membershipOf(t, org.id, org.users.admin.id))?.is_active).toBe(true);
    expect((await call('POST', `/api/organizations/${org.id}/transfer_ownership/`, org.users.admin.token, { user_id: Number(org.users.supervisor.id) })).statusCode).toBe(200);
    const left = await call('POST', `/api/user-organizations/${own.id}/deactivate/`, org.users.admin.token);
    expect(left.statusCode).toBe(200);
    const after = (await membershipOf(t, org.id, org.users.admin.id))!;
    expect(after).toMatchObject({ is_active: false, membership_role: 'admin', deactivated_by: null });
    expect(after.left_at).not.toBeNull();
  });

  it('refuses an admin deactivating the owner (403) and leaves the owner active', async () => {
    const owner = (await membershipOf(t, a.id, a.users.admin.id))!;
    expectError(await call('POST', `/api/user-organizations/${owner.id}/deactivate/`, admin2.token), 403);
    expectError(await call('PATCH', `/api/user-organizations/${owner.id}/`, admin2.token, { role: ROLE_NAMES.salesperson }), 403);
    expect((await membershipOf(t, a.id, a.users.admin.id))).toMatchObject({ is_active: true, membership_role: 'owner' });
  });

  it('refuses deactivating the owner through the users routes too (409 last_owner), and leaves the owner signed in', async () => {
    const ownerId = String(a.users.admin.id);
    expect(expectError(await call('DELETE', `/api/auth/users/${ownerId}/`, admin2.token), 409).code).toBe('last_owner');
    expect(expectError(await call('PATCH', `/api/auth/users/${ownerId}/`, admin2.token, { is_active: false }), 409).code).toBe('last_owner');
    expect(expectError(await call('DELETE', `/api/auth/users/${ownerId}/`, su.token), 409).code).toBe('last_owner');
    expect((await membershipOf(t, a.id, a.users.admin.id))).toMatchObject({ is_active: true, membership_role: 'owner' });
    expect((await call('GET', '/api/auth/profile/', a.users.admin.token)).statusCode).toBe(200);
  });
});

describe('the database keeps one owner', () => {
  it('refuses a second owner (unique index memberships_one_owner)', async () => {
    const message = await refusal(
      t.db.system((tx) => tx.execute(sql`UPDATE memberships SET membership_role = 'owner' WHERE organization_id = ${b.id} AND user_id = ${b.users.sales.id}`)),
    );
    expect(message).toMatch(/memberships_one_owner/);
    expect((await membershipOf(t, b.id, b.users.sales.id))?.membership_role).toBe('member');
  });

  it('refuses, at commit, demoting the only owner without promoting another', async () => {
    const message = await refusal(
      t.db.system(async (tx) => {
        await tx.execute(sql`UPDATE memberships SET membership_role = 'admin' WHERE organization_id = ${b.id} AND membership_role = 'owner'`);
        // Inside the transaction the deferred check has not run yet.
        return rows(tx, sql`SELECT 1 FROM memberships WHERE organization_id = ${b.id} AND membership_role = 'owner'`);
      }),
    );
    expect(message).toMatch(/would have no owner/);
    expect((await membershipOf(t, b.id, b.users.admin.id))?.membership_role).toBe('owner');
  });

  it('lets demote-then-promote commit (the transfer’s order)', async () => {
    const org = await createOrg(t, `Swap ${tag()}`);
    await t.db.system(async (tx) => {
      await tx.execute(sql`UPDATE memberships SET membership_role = 'admin' WHERE organization_id = ${org.id} AND membership_role = 'owner'`);
      await tx.execute(sql`UPDATE memberships SET membership_role = 'owner' WHERE organization_id = ${org.id} AND user_id = ${org.users.lead.id}`);
    });
    expect((await membershipOf(t, org.id, org.users.lead.id))?.membership_role).toBe('owner');
  });
});
