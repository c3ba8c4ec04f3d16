// Identity fixtures: organisations with one user per default role, signed in through the real
// login route, so tests hold real tokens.
import { randomBytes } from 'node:crypto';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { createDefaultRoles } from '../../src/core/access/service.ts';
import { hashPassword } from '../../src/core/auth/passwords.ts';
import { insertMembership, insertUser } from '../../src/core/users/repo.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import type { TestApp } from './app.ts';

export const PASSWORD = 'Correct-Horse-42!';
let cachedHash: Promise<string> | undefined;
const passwordHash = () => (cachedHash ??= hashPassword(PASSWORD));

export type RoleKey = 'admin' | 'sales' | 'verifier' | 'supervisor' | 'lead' | 'member';
const ROLE_OF: Record<RoleKey, string> = {
  admin: ROLE_NAMES.orgAdmin,
  sales: ROLE_NAMES.salesperson,
  verifier: ROLE_NAMES.verifier,
  supervisor: ROLE_NAMES.supervisor,
  lead: ROLE_NAMES.teamLead,
  member: ROLE_NAMES.teamMember,
};

export interface TestUser {
  id: string;
  email: string;
  token: string;
  access: string;
  refresh: string;
}

export interface TestOrg {
  id: string;
  name: string;
  roles: Map<string, string>;
  users: Record<RoleKey, TestUser>;
}

export const auth = (token: string) => ({ authorization: `Token ${token}` });

export async function login(t: TestApp, email: string, password = PASSWORD): Promise<TestUser> {
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email, password } });
  if (res.statusCode !== 200 || !res.json().token) throw new Error(`login of ${email} failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { id: body.user.id, email, token: body.token, access: body.access, refresh: body.refresh };
}

/** Inserts a user directly (fast) with the shared test password. */
export async function insertTestUser(
  t: TestApp,
  opts: { email?: string; orgId?: string; roleId?: string; superuser?: boolean; mustChange?: boolean; firstName?: string },
): Promise<{ id: string; email: string }> {
  const email = opts.email ?? `user-${randomBytes(5).toString('hex')}@example.test`;
  const hash = await passwordHash();
  const id = await t.db.system(async (tx) => {
    const userId = await insertUser(tx, {
      email,
      passwordHash: hash,
      username: '',
      firstName: opts.firstName ?? 'Test',
      lastName: 'User',
      contactNumber: '',
      address: '',
      mustChangePassword: opts.mustChange ?? false,
      isActive: true,
      isSuperuser: opts.superuser ?? false,
    });
    if (opts.orgId) await insertMembership(tx, opts.orgId, userId, opts.roleId ?? null);
    return userId;
  });
  return { id, email };
}

export async function createOrg(t: TestApp, name = `Org ${randomBytes(4).toString('hex')}`): Promise<TestOrg> {
  const { id, roles } = await t.db.system(async (tx) => {
    const [org] = await rows<{ id: string }>(tx, sql`INSERT INTO organizations (name) VALUES (${name}) RETURNING id`);
    return { id: org!.id, roles: await createDefaultRoles(tx, org!.id) };
  });
  const users = {} as Record<RoleKey, TestUser>;
  for (const key of Object.keys(ROLE_OF) as RoleKey[]) {
    const tag = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const u = await insertTestUser(t, { email: `${key}.${tag}@example.test`, orgId: id, roleId: roles.get(ROLE_OF[key])! });
    users[key] = await login(t, u.email);
  }
  return { id, name, roles, users };
}

export async function createSuperAdmin(t: TestApp): Promise<TestUser> {
  const u = await insertTestUser(t, { superuser: true, email: `root-${randomBytes(4).toString('hex')}@example.test` });
  return login(t, u.email);
}

/** Audit rows for an entity, read in system scope. */
export function auditRows(t: TestApp, entity: string, entityId?: string) {
  return t.db.system((tx) =>
    rows<{ action: string; actor_id: string | null; organization_id: string | null; old_values: unknown; new_values: unknown; request_id: string | null; ip: string | null }>(
      tx,
      entityId
        ? sql`SELECT * FROM audit_log WHERE entity = ${entity} AND entity_id = ${entityId} ORDER BY created_at`
        : sql`SELECT * FROM audit_log WHERE entity = ${entity} ORDER BY created_at`,
    ),
  );
}
