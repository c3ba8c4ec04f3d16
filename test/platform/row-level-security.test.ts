// Row-level security holds even when the application's own organisation filter is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { migrate } from '../../src/core/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/app.ts';

let t: TestDatabase;
let orgA: string;
let orgB: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const created = await t.db.system((tx) =>
    rows<{ id: string }>(tx, sql`INSERT INTO organizations (name) VALUES ('Org A'), ('Org B') RETURNING id`),
  );
  [orgA, orgB] = created.map((r) => r.id) as [string, string];
  await t.db.system((tx) =>
    tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES
      (${orgA}, 'deal', 'create'), (${orgA}, 'deal', 'update'), (${orgB}, 'deal', 'create')`),
  );
});
afterAll(() => t.drop());

describe('tenant isolation by row-level security', () => {
  it('a query without WHERE organization_id sees only the context organisation', async () => {
    const seenByA = await t.db.tenant({ orgId: orgA, userId: null }, (tx) =>
      rows<{ organization_id: string }>(tx, sql`SELECT organization_id FROM audit_log`),
    );
    expect(seenByA).toHaveLength(2);
    expect(seenByA.every((r) => r.organization_id === orgA)).toBe(true);
    const orgsSeenByB = await t.db.tenant({ orgId: orgB, userId: null }, (tx) => rows<{ id: string }>(tx, sql`SELECT id FROM organizations`));
    expect(orgsSeenByB).toEqual([{ id: orgB }]);
  });

  it('statements are prepared once per connection on PostgreSQL, and a cached plan never crosses organisations', async () => {
    // Twelve runs alternate the organisation: well past the five custom plans after which
    // PostgreSQL may switch a prepared statement to its generic plan.
    for (let i = 0; i < 12; i++) {
      const org = i % 2 ? orgA : orgB;
      const { seen, prepared } = await t.db.tenant({ orgId: org, userId: null }, async (tx) => ({
        seen: await rows<{ organization_id: string }>(tx, sql`SELECT organization_id FROM audit_log WHERE action = ${'create'}`),
        // Same connection as the statement above: its prepared statements.
        prepared: await rows<{ name: string }>(tx, sql`SELECT name FROM pg_prepared_statements WHERE statement LIKE ${'%FROM audit_log WHERE action = $1'}`),
      }));
      expect(seen).toEqual([{ organization_id: org }]);
      if (t.db.kind === 'postgres') expect(prepared).toEqual([{ name: expect.stringMatching(/^prs_/) }]);
    }
    // On PostgreSQL, texts without parameters stay unprepared: they may hold several statements
    // (the bulk loader's settings).
    if (t.db.kind === 'postgres') await t.db.system((tx) => tx.execute(sql.raw('SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0')));
  });

  it('runs as the non-superuser application role with the context set', async () => {
    const [ctx] = await t.db.tenant({ orgId: orgA, userId: null }, (tx) =>
      rows<{ who: string; org: string; su: string }>(
        tx,
        sql`SELECT current_user AS who, current_setting('app.organization_id') AS org, current_setting('is_superuser') AS su`,
      ),
    );
    expect(ctx).toEqual({ who: 'prs_app', org: orgA, su: 'off' });
  });

  it('without an organisation in context, tenant rows are invisible', async () => {
    const seen = await t.db.tenant({ orgId: null, userId: null }, (tx) => rows(tx, sql`SELECT * FROM audit_log`));
    expect(seen).toEqual([]);
  });

  it('refuses to write a row for another organisation', async () => {
    await expect(
      t.db.tenant({ orgId: orgA, userId: null }, (tx) =>
        tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES (${orgB}, 'deal', 'create')`),
      ),
    ).rejects.toThrow();
    const updated = await t.db.tenant({ orgId: orgA, userId: null }, (tx) =>
      rows(tx, sql`UPDATE organizations SET description = 'hijacked' WHERE id = ${orgB} RETURNING id`),
    );
    expect(updated).toEqual([]);
  });

  it('the system scope sees every organisation', async () => {
    const all = await t.db.system((tx) => rows(tx, sql`SELECT id FROM organizations`));
    expect(all).toHaveLength(2);
  });

  it('rolls the transaction back when the work fails', async () => {
    await expect(
      t.db.system(async (tx) => {
        await tx.execute(sql`INSERT INTO organizations (name) VALUES ('Rolled back')`);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const found = await t.db.system((tx) => rows(tx, sql`SELECT id FROM organizations WHERE name = 'Rolled back'`));
    expect(found).toEqual([]);
  });
});

describe('append-only audit log', () => {
  it('the database refuses UPDATE and DELETE, even in system scope', async () => {
    await expect(t.db.system((tx) => tx.execute(sql`UPDATE audit_log SET action = 'tampered'`))).rejects.toThrow();
    await expect(t.db.system((tx) => tx.execute(sql`DELETE FROM audit_log`))).rejects.toThrow();
    await expect(t.db.owner((c) => c.exec(`UPDATE audit_log SET action = 'tampered'`))).rejects.toThrow(/append-only/);
    const [count] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'tampered'`));
    expect(count?.n).toBe(0);
  });
});

describe('hot reads', () => {
  it('a read-only transaction reads under row-level security, refuses writes, and the next one follows it', async () => {
    const seen = await t.db.tenant({ orgId: orgA, userId: null }, (tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_log`), { readOnly: true });
    expect(seen).toEqual([{ n: 2 }]);
    const refused = await t.db
      .tenant({ orgId: orgA, userId: null }, (tx) => tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES (${orgA}, 'deal', 'x')`), { readOnly: true })
      .then(() => undefined, (err: Error & { cause?: Error }) => err.cause ?? err);
    expect(refused?.message).toMatch(/read-only/);
    const after = await Promise.all(
      [orgA, orgB, orgA].map((org) => t.db.tenant({ orgId: org, userId: null }, (tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_log`), { readOnly: true })),
    );
    expect(after.map((r) => r[0]?.n)).toEqual([2, 1, 2]);
  });

  it('connections that carried a read for one organisation serve writes, other organisations, system work and migrations correctly', async () => {
    const count = (org: string) =>
      t.db.tenant({ orgId: org, userId: null }, (tx) => rows<{ n: number; org: string; who: string }>(tx,
        sql`SELECT count(*)::int AS n, current_setting('app.organization_id') AS org, current_user AS who FROM audit_log`), { readOnly: true });
    // Every pooled connection now carries organisation A's read scope.
    expect((await Promise.all(Array.from({ length: 6 }, () => count(orgA)))).map((r) => r[0]!.n)).toEqual(Array(6).fill(2));
    for (let round = 0; round < 6; round++) {
      await t.db.tenant({ orgId: orgB, userId: null }, (tx) => tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES (${orgB}, 'deal', 'read-scope')`));
      expect(await count(orgB)).toEqual([{ n: 2 + round, org: orgB, who: 'prs_app' }]);
      expect(await count(orgA)).toEqual([{ n: 2, org: orgA, who: 'prs_app' }]);
      const [all] = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_log`));
      expect(all!.n).toBe(4 + round);
      // A write after a generically planned read on the same connection plans as usual.
      await t.db.tenant({ orgId: orgA, userId: null }, (tx) => rows(tx, sql`SELECT 1`), { readOnly: true, genericPlans: true });
      const [mode] = await t.db.tenant({ orgId: orgA, userId: null }, (tx) => rows<{ mode: string }>(tx, sql`SELECT current_setting('plan_cache_mode') AS mode`));
      expect(mode!.mode).toBe('auto');
      const [owner] = await t.db.owner(async (conn) => rows<{ who: string; ro: string }>(conn.db, sql`SELECT current_user AS who, current_setting('default_transaction_read_only') AS ro`));
      expect(owner!.who).not.toBe('prs_app');
      expect(owner!.ro).toBe('off');
    }
    await t.db.system((tx) => tx.execute(sql`SELECT 1`));
  });
});

describe('migrations', () => {
  it('are applied once: a second run applies nothing', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });
});
