// A Super Admin (no organisation of their own) working on their own records: the profile and a
// security alert they raise. Found by the fuzzer (issue 13): both answered 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, type TestOrg, type TestUser } from '../support/identity.ts';

let t: TestApp;
let root: TestUser;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  root = await createSuperAdmin(t);
  org = await createOrg(t, 'Named Org');
});
afterAll(() => t.close());

describe('Super Admin profile', () => {
  it.each(['', '?organization=ORG'])('reads the profile%s', async (query) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/auth/profile/${query.replace('ORG', org.id)}`, headers: auth(root.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().email).toBe(root.email);
  });

  it('changes personal fields while naming an organisation', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: `/api/auth/profile/?organization=${org.id}`, headers: auth(root.token), payload: { last_name: 'Named' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().last_name).toBe('Named');
  });

  it.each(['PATCH', 'PUT'] as const)('%s changes personal fields', async (method) => {
    const res = await t.app.inject({ method, url: '/api/auth/profile/', headers: auth(root.token), payload: { first_name: `Root${method}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().first_name).toBe(`Root${method}`);
    const [row] = await t.db.system((tx) => rows<{ first_name: string }>(tx, sql`SELECT first_name FROM users WHERE id = ${root.id}`));
    expect(row!.first_name).toBe(`Root${method}`);
  });

  // A target is an organisation's view of its member (memberships.sales_target); a Super Admin
  // has no membership, so there is none to set (500 before: found by the fuzzer).
  it.each(['', '?organization=ORG'])('has no sales target of their own to set%s (404, nothing written)', async (query) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/auth/user/set-sales-target/${query.replace('ORG', org.id)}`, headers: auth(root.token), payload: { sales_target: '4820.64' } });
    expect(res.statusCode).toBe(404);
    const [row] = await t.db.system((tx) => rows<{ users: string; memberships: number }>(tx, sql`SELECT (SELECT sales_target::text FROM users WHERE id = ${root.id}) AS users,
      (SELECT count(*)::int FROM memberships WHERE user_id = ${root.id}) AS memberships`));
    expect(row).toEqual({ users: '0.00', memberships: 0 });
  });

  it('raises a security alert, recorded without an organisation', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/notifications/security-alert/', headers: auth(root.token), payload: { message: 'odd sign-in seen' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().notified).toBe(0);
    const events = await t.db.system((tx) => rows<{ organization_id: string | null }>(tx, sql`SELECT organization_id FROM security_events WHERE user_id = ${root.id} AND event_type = 'security_alert'`));
    expect(events).toEqual([{ organization_id: null }]);
  });
});
