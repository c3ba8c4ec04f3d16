// A Super Admin (no organisation of their own) reading and editing their own profile: found by
// the fuzzer (issue 13), PATCH answered 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/db/database.ts';
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
});
