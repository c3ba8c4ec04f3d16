// Migration 0021 (memberships) over data written at 0020: who becomes an organisation's owner,
// admin or member, where the sales target goes, which organisation a person last worked in, and
// an organisation without an Org Admin (no owner to pick). A fresh database, migrated in two steps.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { openDatabase, rows, sql, type Database } from '../../src/core/db/database.ts';
import { listMigrations, migrate } from '../../src/core/db/migrate.ts';
import { testDatabaseUrl, withDatabaseName } from '../support/db-url.ts';

let db: Database;
let drop: () => Promise<void>;

/** An empty database (no template: the test's point is to stop before 0021). */
async function emptyDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const url = testDatabaseUrl();
  if (!url) {
    const fresh = await openDatabase({ pglite: new PGlite() });
    return { db: fresh, drop: () => fresh.close() };
  }
  const name = `prs_t_mig_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const fresh = await openDatabase({ databaseUrl: withDatabaseName(url, name), poolSize: 2 });
  return {
    db: fresh,
    drop: async () => {
      await fresh.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const q = <T = Record<string, unknown>>(query: SQL) => db.system((tx) => rows<T>(tx, query));
const one = async <T>(query: SQL) => (await q<T>(query))[0]!;

const ids: Record<string, string> = {};

async function user(key: string, salesTarget = '0') {
  const row = await one<{ id: string }>(sql`INSERT INTO users (email, password_hash, first_name, sales_target)
    VALUES (${`${key}@migration.test`}, 'x', ${key}, ${salesTarget}) RETURNING id`);
  ids[key] = row.id;
  return row.id;
}
async function member(orgKey: string, userKey: string, role: string, createdAt: string, active = true) {
  await q(sql`INSERT INTO memberships (organization_id, user_id, role_id, is_active, created_at)
    VALUES (${ids[orgKey]!}, ${ids[userKey]!}, (SELECT id FROM roles WHERE organization_id = ${ids[orgKey]!} AND name = ${role}), ${active}, ${createdAt})`);
}
async function session(userKey: string, orgKey: string | null, createdAt: string) {
  await q(sql`INSERT INTO auth_sessions (user_id, organization_id, token_hash, created_at, expires_at)
    VALUES (${ids[userKey]!}, ${orgKey ? ids[orgKey]! : null}, ${randomBytes(16).toString('hex')}, ${createdAt}, now() + interval '1 day')`);
}

beforeAll(async () => {
  ({ db, drop } = await emptyDatabase());
  const upTo0020 = listMigrations().filter((m) => m.id < '0021');
  expect(upTo0020.at(-1)!.id).toBe('0020_refresh_grace');
  await migrate(db, upTo0020);

  for (const org of ['x', 'y', 'z']) {
    ids[org] = (await one<{ id: string }>(sql`INSERT INTO organizations (name) VALUES (${`Migration ${org}`}) RETURNING id`)).id;
    await q(sql`INSERT INTO roles (organization_id, name, is_default)
      SELECT ${ids[org]!}, n, true FROM unnest(ARRAY['Org Admin', 'Salesperson', 'Verifier']) n`);
  }
  // Org x: a deactivated Org Admin first, then two active ones, a salesperson with a target.
  await user('admin0');
  await user('admin1');
  await user('admin2');
  await user('seller', '4321.50');
  await user('loner');
  await member('x', 'admin0', 'Org Admin', '2026-01-01T00:00:00Z', false);
  await member('x', 'admin1', 'Org Admin', '2026-01-02T00:00:00Z');
  await member('x', 'admin2', 'Org Admin', '2026-01-03T00:00:00Z');
  await member('x', 'seller', 'Salesperson', '2026-01-04T00:00:00Z');
  // Org y: the seller is also a verifier there; y's Org Admin is admin2.
  await member('y', 'admin2', 'Org Admin', '2026-02-01T00:00:00Z');
  await member('y', 'seller', 'Verifier', '2026-02-02T00:00:00Z');
  // Org z: no Org Admin at all.
  await member('z', 'loner', 'Salesperson', '2026-03-01T00:00:00Z');
  // Sessions: the seller worked in x, then last in y; admin1 in x; loner never signed in.
  await session('seller', 'x', '2026-04-01T00:00:00Z');
  await session('seller', 'y', '2026-04-02T00:00:00Z');
  await session('admin1', 'x', '2026-04-03T00:00:00Z');
  await session('admin2', null, '2026-04-04T00:00:00Z');

  expect(await migrate(db)).toContain('0021_memberships');
});
afterAll(() => drop());

async function membershipOf(orgKey: string, userKey: string) {
  return one<{ membership_role: string; sales_target: string; status: string; accepted: boolean; is_active: boolean }>(
    sql`SELECT membership_role, sales_target::text AS sales_target, status, accepted_at = created_at AS accepted, is_active
        FROM memberships WHERE organization_id = ${ids[orgKey]!} AND user_id = ${ids[userKey]!}`,
  );
}

describe('migration 0021 over 0020 data', () => {
  it('makes the earliest active Org Admin the owner, other Org Admins admins, everyone else a member', async () => {
    expect((await membershipOf('x', 'admin0')).membership_role).toBe('admin');
    expect((await membershipOf('x', 'admin1')).membership_role).toBe('owner');
    expect((await membershipOf('x', 'admin2')).membership_role).toBe('admin');
    expect((await membershipOf('x', 'seller')).membership_role).toBe('member');
    expect((await membershipOf('y', 'admin2')).membership_role).toBe('owner');
    expect((await membershipOf('y', 'seller')).membership_role).toBe('member');
    expect(await q(sql`SELECT organization_id, count(*)::int AS n FROM memberships WHERE membership_role = 'owner' GROUP BY 1 ORDER BY 1`)).toEqual([
      { organization_id: ids.x, n: 1 },
      { organization_id: ids.y, n: 1 },
    ]);
  });

  it('leaves an organisation without an Org Admin without an owner', async () => {
    expect(await membershipOf('z', 'loner')).toMatchObject({ membership_role: 'member' });
    expect(await q(sql`SELECT 1 FROM memberships WHERE organization_id = ${ids.z!} AND membership_role <> 'member'`)).toEqual([]);
  });

  it('copies users.sales_target into every membership of the person; existing memberships count as accepted', async () => {
    expect(await membershipOf('x', 'seller')).toMatchObject({ sales_target: '4321.50', status: 'active', accepted: true, is_active: true });
    expect(await membershipOf('y', 'seller')).toMatchObject({ sales_target: '4321.50', status: 'active', accepted: true });
    expect(await membershipOf('x', 'admin1')).toMatchObject({ sales_target: '0.00' });
    expect(await membershipOf('x', 'admin0')).toMatchObject({ status: 'active', is_active: false });
  });

  it('sets users.last_organization_id from the newest session with an organisation', async () => {
    const last = await q<{ first_name: string; last_organization_id: string | null }>(sql`SELECT first_name, last_organization_id FROM users ORDER BY id`);
    expect(Object.fromEntries(last.map((u) => [u.first_name, u.last_organization_id]))).toEqual({
      admin0: null, admin1: ids.x, admin2: null, seller: ids.y, loner: null,
    });
  });

  it('keeps one owner: demoting the owner alone fails at commit', async () => {
    await expect(db.system((tx) => tx.execute(sql`UPDATE memberships SET membership_role = 'admin' WHERE organization_id = ${ids.x!} AND membership_role = 'owner'`))).rejects.toMatchObject({ constraint: 'memberships_keep_owner' });
    expect((await membershipOf('x', 'admin1')).membership_role).toBe('owner');
  });
});
