// Human codes per organisation (DLID0001, TXN-0001, INV-0001, …) from one counter row each.
// The counter's row lock makes concurrent callers wait, so codes never repeat. In requests on
// PostgreSQL the counter moves in a short transaction of its own (inOwnTransaction): the lock
// is held for one statement instead of until the caller commits, so an organisation's payments
// are no longer recorded one after another. The price: a code drawn by a transaction that then
// fails is not reused (a gap). Callers draw codes only after their own checks have passed.
import { inOwnTransaction, rows, sql, type Tx } from './database.ts';

export const CODE_SEQUENCES = {
  deal: { name: 'deal', prefix: 'DLID' },
  payment: { name: 'payment', prefix: 'TXN-' },
  invoice: { name: 'invoice', prefix: 'INV-' },
} as const;

export type CodeSequence = keyof typeof CODE_SEQUENCES;

/** The next code of each sequence, in the order asked. */
export async function nextCodes<const S extends readonly CodeSequence[]>(tx: Tx, orgId: string, sequences: S): Promise<{ [K in keyof S]: string }> {
  // Counters are always locked in name order, so two callers cannot wait for each other.
  const names = [...new Set(sequences)].sort();
  const drawn = await inOwnTransaction(tx, (own) =>
    rows<{ name: string; code: string }>(
      own,
      sql`SELECT s.name, app.format_code(s.prefix, app.next_code_value(${orgId}::uuid, s.name)) AS code
          FROM unnest(${sql.param(names)}::text[], ${sql.param(names.map((n) => CODE_SEQUENCES[n].prefix))}::text[]) WITH ORDINALITY AS s(name, prefix, position)
          ORDER BY s.position`,
    ),
  );
  const byName = new Map(drawn.map((r) => [r.name, r.code]));
  return sequences.map((s) => byName.get(s)!) as { [K in keyof S]: string };
}

export async function nextCode(tx: Tx, orgId: string, sequence: CodeSequence): Promise<string> {
  const [code] = await nextCodes(tx, orgId, [sequence]);
  return code;
}
