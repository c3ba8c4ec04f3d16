// The organisation loop of the maintenance commands: every organisation, or only `--org <id>`,
// each in its own tenant transaction so that row-level security applies.
import { parseArgs } from 'node:util';
import { rows, sql, type Database, type Tx } from '../db/database.ts';

export async function forEachOrganisation(
  db: Database,
  args: string[],
  out: (line: string) => void,
  work: (tx: Tx, org: { id: string; name: string }) => Promise<string>,
): Promise<{ ok: boolean; count: number }> {
  const { values } = parseArgs({ args, options: { org: { type: 'string' } }, strict: false });
  const only = typeof values.org === 'string' ? values.org : undefined;
  const orgs = await db.system((tx) =>
    rows<{ id: string; name: string }>(tx, only ? sql`SELECT id, name FROM organizations WHERE id::text = ${only}` : sql`SELECT id, name FROM organizations ORDER BY created_at, id`),
  );
  if (only && !orgs.length) {
    out(`No organisation with id ${only}.`);
    return { ok: false, count: 0 };
  }
  for (const org of orgs) out(`${org.name}: ${await db.tenant({ orgId: org.id, userId: null }, (tx) => work(tx, org))}`);
  return { ok: true, count: orgs.length };
}
