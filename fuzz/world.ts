// The world the fuzzer runs against: PRS built in-process over a fresh database (embedded PGlite,
// or the PostgreSQL server of DATABASE_URL), the demo organisation seeded as on a first start, a
// second organisation with its own data (so that foreign ids exist), signed-in roles and the ids
// of each organisation's records.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase, rows, type Database } from '../src/core/db/database.ts';
import type { AppInstance } from '../src/core/http/types.ts';
import { ROLE_NAMES } from '../src/core/access/catalog.ts';
import { createDefaultRoles } from '../src/core/access/service.ts';
import { hashPassword } from '../src/core/auth/passwords.ts';
import { DEMO_PASSWORD, seedDemoIfEmpty } from '../src/demo/seed.ts';
import { seedSalesDemo } from '../src/demo/sales.ts';
import { insertMembership, insertUser } from '../src/core/users/repo.ts';
import { prepareDatabase } from '../src/startup.ts';
import { sql } from 'drizzle-orm';

export type Role = 'anonymous' | 'superadmin' | 'orgadmin' | 'sales' | 'verifier' | 'foreign_admin';
export const ROLES: readonly Role[] = ['anonymous', 'superadmin', 'orgadmin', 'sales', 'verifier', 'foreign_admin'];

const EMAIL_OF: Record<Exclude<Role, 'anonymous'>, string> = {
  superadmin: 'superadmin@demo.prs.test',
  orgadmin: 'orgadmin@demo.prs.test',
  sales: 'sales@demo.prs.test',
  verifier: 'verifier@demo.prs.test',
  foreign_admin: 'admin@other.fuzz.test',
};

/** Tables whose ids the generator draws from, by the name the routes' paths and fields use. */
export const ENTITY_TABLES = [
  'organizations', 'users', 'roles', 'clients', 'teams', 'projects', 'deals', 'payments', 'invoices',
  'notifications', 'notification_templates', 'commission_statements', 'auth_sessions',
] as const;
export type Entity = (typeof ENTITY_TABLES)[number];

export interface IdPools {
  /** Ids of the demo organisation's records (the roles' own organisation). */
  own: Record<Entity, string[]>;
  /** Ids of the second organisation's records. */
  foreign: Record<Entity, string[]>;
}

export interface World {
  app: AppInstance;
  db: Database;
  tokens: Map<Role, string>;
  /** Users the fuzzer signs in as: never offered as ids, so no request deletes or demotes them. */
  protectedUsers: Set<string>;
  ids: IdPools;
  orgIds: { own: string; foreign: string };
  relogin(role: Role): Promise<boolean>;
  close(): Promise<void>;
}

async function seedForeignOrganisation(app: AppInstance): Promise<void> {
  const hash = await hashPassword(DEMO_PASSWORD);
  await app.db.system(async (tx) => {
    const [org] = await rows<{ id: string }>(tx, sql`INSERT INTO organizations (name, currency) VALUES ('Other Organization', 'USD') RETURNING id`);
    const roles = await createDefaultRoles(tx, org!.id);
    const byRole = new Map<string, { id: string; email: string }>();
    for (const [key, role] of [['admin', ROLE_NAMES.orgAdmin], ['sales', ROLE_NAMES.salesperson], ['lead', ROLE_NAMES.teamLead], ['verifier', ROLE_NAMES.verifier]] as const) {
      const email = `${key}@other.fuzz.test`;
      const id = await insertUser(tx, {
        email, passwordHash: hash, username: `other-${key}`, firstName: 'Other', lastName: key, contactNumber: '', address: '',
        mustChangePassword: false, isActive: true, isSuperuser: false,
      });
      await insertMembership(tx, org!.id, id, roles.get(role)!);
      byRole.set(role, { id, email });
    }
    await seedSalesDemo(tx, app.files, org!.id, byRole);
  });
}

async function loadIds(db: Database, orgId: string): Promise<Record<Entity, string[]>> {
  const out = {} as Record<Entity, string[]>;
  await db.system(async (tx) => {
    for (const table of ENTITY_TABLES) {
      const column = table === 'organizations' ? 'id' : table === 'users' || table === 'auth_sessions' ? null : 'organization_id';
      const query =
        table === 'organizations' ? sql`SELECT id::text AS id FROM organizations WHERE id = ${orgId}`
        : table === 'users' ? sql`SELECT user_id::text AS id FROM memberships WHERE organization_id = ${orgId} ORDER BY user_id LIMIT 50`
        : table === 'auth_sessions' ? sql`SELECT s.id::text AS id FROM auth_sessions s JOIN memberships m ON m.user_id = s.user_id WHERE m.organization_id = ${orgId} LIMIT 50`
        : sql`SELECT id::text AS id FROM ${sql.identifier(table)} WHERE ${sql.identifier(column!)} = ${orgId} ORDER BY id LIMIT 50`;
      out[table] = (await rows<{ id: string }>(tx, query)).map((r) => r.id);
    }
  });
  return out;
}

export async function buildWorld(options: { databaseUrl?: string; plugins?: ((app: AppInstance) => Promise<void>)[] } = {}): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), 'prs-fuzz-'));
  const db = options.databaseUrl ? await openDatabase({ databaseUrl: options.databaseUrl, poolSize: 4 }) : await openDatabase({ pglite: new PGlite() });
  await prepareDatabase(db);
  const config = loadConfig({
    NODE_ENV: 'test',
    SECRET_KEY: 'fuzz-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    // Generated logins must not lock the fuzzer's own roles out of their accounts.
    LOGIN_FAILURES_PER_EMAIL_IP: '1000000',
    LOGIN_FAILURES_PER_IP: '1000000',
    LOGIN_EMAIL_FREE_FAILURES: '1000000',
    LOCKOUT_THRESHOLD: '1000000',
  });
  const app = await buildApp({ config, db, plugins: options.plugins ?? [], logger: false });
  await app.ready();
  if (!(await seedDemoIfEmpty(db, app.files))) throw new Error('the fuzzer needs an empty database (demo data already present)');
  await seedForeignOrganisation(app);
  const orgs = await db.system((tx) =>
    rows<{ id: string; name: string }>(tx, sql`SELECT id::text AS id, name FROM organizations WHERE name IN ('Demo Organization', 'Other Organization')`),
  );
  const orgIds = { own: orgs.find((o) => o.name === 'Demo Organization')!.id, foreign: orgs.find((o) => o.name === 'Other Organization')!.id };
  const tokens = new Map<Role, string>();
  const login = async (role: Exclude<Role, 'anonymous'>) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: EMAIL_OF[role], password: DEMO_PASSWORD } });
    if (res.statusCode === 200) tokens.set(role, (res.json() as { token: string }).token);
    return res.statusCode === 200;
  };
  const accountOf = new Map<Role, string>();
  const relogin = async (role: Role): Promise<boolean> => {
    if (role === 'anonymous') return true;
    if (await login(role)) return true;
    // A fuzzed request changed the role's own account (its e-mail through the profile, a second
    // factor, a deactivation): put the account back as seeded, outside the API, and sign in again.
    const userId = accountOf.get(role);
    if (!userId) return false;
    const hash = await hashPassword(DEMO_PASSWORD);
    await db.system(async (tx) => {
      await tx.execute(sql`UPDATE users SET email = ${EMAIL_OF[role]}, password_hash = ${hash}, is_active = true, status = 'active', must_change_password = false,
                            failed_login_count = 0, locked_until = NULL, totp_enabled = false, totp_secret = NULL WHERE id = ${userId}`);
      await tx.execute(sql`UPDATE memberships SET is_active = true WHERE user_id = ${userId}`);
    });
    return login(role);
  };
  const accounts = await db.system((tx) => rows<{ id: string; email: string }>(tx, sql`SELECT id::text AS id, email FROM users WHERE email = ANY(${sql.param(Object.values(EMAIL_OF))}::text[])`));
  for (const [role, email] of Object.entries(EMAIL_OF)) accountOf.set(role as Role, accounts.find((a) => a.email === email)!.id);
  for (const role of ROLES) if (!(await relogin(role))) throw new Error(`login of ${role} failed`);
  const protectedUsers = new Set(accounts.map((a) => a.id));
  const ids = { own: await loadIds(db, orgIds.own), foreign: await loadIds(db, orgIds.foreign) };
  for (const pool of [ids.own.users, ids.foreign.users]) pool.splice(0, pool.length, ...pool.filter((id) => !protectedUsers.has(id)));
  return { app, db, tokens, protectedUsers, ids, orgIds, relogin, close: async () => { await app.close(); await db.close(); } };
}
