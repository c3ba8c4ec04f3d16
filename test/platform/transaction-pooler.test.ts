// DB_TRANSACTION_POOLER: behind a transaction-mode pooler nothing may stay on a connection
// between transactions — no prepared statements, no session scope for reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { loadConfig } from '../../src/core/config.ts';
import { createTestDatabase, type TestDatabase } from '../support/app.ts';

let t: TestDatabase;
let orgA: string;
let orgB: string;

beforeAll(async () => {
  t = await createTestDatabase({ transactionPooler: true });
  const created = await t.db.system((tx) => rows<{ id: string }>(tx, sql`INSERT INTO organizations (name) VALUES ('Pooled A'), ('Pooled B') RETURNING id`));
  [orgA, orgB] = created.map((r) => r.id) as [string, string];
  await t.db.system((tx) => tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES (${orgA}, 'deal', 'create'), (${orgB}, 'deal', 'create')`));
});
afterAll(() => t.drop());

describe('behind a transaction-mode pooler', () => {
  it('reads keep their transactions and leave no scope, statements stay unprepared, read-only still refuses writes', async () => {
    for (let i = 0; i < 8; i++) {
      const org = i % 2 ? orgA : orgB;
      const seen = await t.db.tenant({ orgId: org, userId: null }, (tx) => rows<{ organization_id: string }>(tx, sql`SELECT organization_id FROM audit_log WHERE action = ${'create'}`), { readOnly: true });
      expect(seen).toEqual([{ organization_id: org }]);
    }
    const [left] = await t.db.owner((conn) =>
      rows<{ who: string; org: string | null; prepared: number }>(conn.db, sql`SELECT current_user AS who, current_setting('app.organization_id', true) AS org,
        (SELECT count(*)::int FROM pg_prepared_statements) AS prepared`),
    );
    expect(left!.who).not.toBe('prs_app');
    expect(left!.org ?? '').toBe('');
    expect(left!.prepared).toBe(0);
    await expect(
      t.db.tenant({ orgId: orgA, userId: null }, (tx) => tx.execute(sql`INSERT INTO audit_log (organization_id, entity, action) VALUES (${orgA}, 'deal', 'x')`), { readOnly: true }),
    ).rejects.toThrow();
  });

  it('is switched on by DB_TRANSACTION_POOLER', () => {
    expect(loadConfig({ DB_TRANSACTION_POOLER: 'true' }).dbTransactionPooler).toBe(true);
    expect(loadConfig({}).dbTransactionPooler).toBe(false);
  });
});
