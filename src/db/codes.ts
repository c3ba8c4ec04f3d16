// Human codes per organisation (DLID0001, TXN-0001, INV-0001, …) from one counter row each;
// the row lock of the upsert makes concurrent requests wait, so codes are unique and gapless
// within committed transactions.
import { rows, sql, type Tx } from './database.ts';

export const CODE_SEQUENCES = {
  deal: { name: 'deal', prefix: 'DLID' },
  payment: { name: 'payment', prefix: 'TXN-' },
  invoice: { name: 'invoice', prefix: 'INV-' },
} as const;

export type CodeSequence = keyof typeof CODE_SEQUENCES;

export async function nextCode(tx: Tx, orgId: string, sequence: CodeSequence): Promise<string> {
  const { name, prefix } = CODE_SEQUENCES[sequence];
  const [row] = await rows<{ code: string }>(
    tx,
    sql`SELECT app.format_code(${prefix}, app.next_code_value(${orgId}::uuid, ${name})) AS code`,
  );
  return row!.code;
}
