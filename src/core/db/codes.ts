// Human codes per organisation (DLID0001, TXN-0001, INV-0001, …), each from a PostgreSQL sequence
// of its own (migration 0016): nextval never waits for another transaction, so an organisation's
// payments are recorded side by side, and codes never repeat. The price: a code drawn by a
// transaction that then fails is skipped, not reused (a gap). Callers draw codes only after
// their own checks have passed.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from './database.ts';

export const CODE_SEQUENCES = {
  deal: { name: 'deal', prefix: 'DLID' },
  payment: { name: 'payment', prefix: 'TXN-' },
  invoice: { name: 'invoice', prefix: 'INV-' },
} as const;

export type CodeSequence = keyof typeof CODE_SEQUENCES;

/** The next code of a sequence as an SQL expression, drawn by the statement that uses it. */
export function nextCodeSql(orgId: string, sequence: CodeSequence): SQL {
  const { name, prefix } = CODE_SEQUENCES[sequence];
  return sql`app.format_code(${prefix}, app.next_code_value(${orgId}::bigint, ${name}))`;
}

/** The next code of a sequence, drawn by a statement of its own. */
export async function nextCode(tx: Tx, orgId: string, sequence: CodeSequence): Promise<string> {
  const [drawn] = await rows<{ code: string }>(tx, sql`SELECT ${nextCodeSql(orgId, sequence)} AS code`);
  return drawn!.code;
}
