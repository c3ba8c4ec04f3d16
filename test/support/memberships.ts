// Memberships in tests: HTTP calls, error assertions, a person's membership rows, and signing in
// to a chosen organisation of a person who belongs to several.
import { randomBytes } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { expect } from 'vitest';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from './app.ts';
import { auth, createOrg, createSuperAdmin, insertTestUser, login, type TestOrg, type TestUser } from './identity.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function caller(t: TestApp) {
  return (method: Method, url: string, token?: string, payload?: object) =>
    t.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload ? { payload } : {}) });
}

export function query(t: TestApp) {
  return <T = Record<string, unknown>>(statement: SQL) => t.db.system((tx) => rows<T>(tx, statement));
}

export function expectError(res: { statusCode: number; body: string; json(): Record<string, unknown> }, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.detail).toEqual(expect.any(String));
  expect(body.message).toBe(body.detail);
  if (code) expect(body.code).toBe(code);
  return body;
}

export interface MembershipState {
  id: string;
  organization_id: string;
  user_id: string;
  membership_role: string;
  status: string;
  is_active: boolean;
  role_id: string | null;
  invited_by: string | null;
  invited_email: string | null;
  invited_at: string | null;
  accepted_at: string | null;
  accepted_by: string | null;
  left_at: string | null;
  deactivated_by: string | null;
}

export async function membershipOf(t: TestApp, orgId: string, userId: string): Promise<MembershipState | undefined> {
  const [m] = await query(t)<MembershipState>(sql`SELECT * FROM memberships WHERE organization_id = ${orgId} AND user_id = ${userId}`);
  return m;
}

/** An accepted, active membership added directly (system scope), as a second organisation of the person. */
export async function addMembership(t: TestApp, orgId: string, userId: string, roleId: string, membershipRole = 'member'): Promise<string> {
  const [m] = await query(t)<{ id: string }>(
    sql`INSERT INTO memberships (organization_id, user_id, role_id, membership_role, accepted_at) VALUES (${orgId}, ${userId}, ${roleId}, ${membershipRole}, now()) RETURNING id`,
  );
  return m!.id;
}

/**
 * Signs a person in to one of their organisations: login picks the last organisation used (or
 * else the oldest membership), so both are pointed at it for the login and restored afterwards.
 */
export async function loginTo(t: TestApp, email: string, orgId: string): Promise<TestUser> {
  const q = query(t);
  const [m] = await q<{ id: string; created_at: string }>(
    sql`SELECT m.id, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = ${email} AND m.organization_id = ${orgId}`,
  );
  await q(sql`UPDATE memberships SET created_at = '2000-01-01' WHERE id = ${m!.id}`);
  await q(sql`UPDATE users SET last_organization_id = ${orgId} WHERE email = ${email}`);
  try {
    return await login(t, email);
  } finally {
    await q(sql`UPDATE memberships SET created_at = ${m!.created_at} WHERE id = ${m!.id}`);
  }
}

export async function sessionOrg(t: TestApp, token: string): Promise<string | null> {
  const res = await t.app.inject({ method: 'GET', url: '/api/auth/profile/', headers: auth(token) });
  expect(res.statusCode).toBe(200);
  const org = res.json().organization as number | null;
  return org === null ? null : String(org);
}

/** Two organisations, a Super Admin, and a second Org Admin of the first (membership role admin; its first Org Admin is the owner). */
export interface MembershipWorld {
  t: TestApp;
  a: TestOrg;
  b: TestOrg;
  su: TestUser;
  admin2: TestUser;
  call: ReturnType<typeof caller>;
  q: ReturnType<typeof query>;
}

export async function membershipWorld(name: string): Promise<MembershipWorld> {
  const t = await createTestApp();
  const a = await createOrg(t, `${name} Alpha`);
  const b = await createOrg(t, `${name} Beta`);
  const su = await createSuperAdmin(t);
  const second = await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.orgAdmin)!, email: `admin2-${randomBytes(3).toString('hex')}@example.test` });
  return { t, a, b, su, admin2: await login(t, second.email), call: caller(t), q: query(t) };
}
