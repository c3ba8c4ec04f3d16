// Bulk writing for generated data: rows are collected column by column and written with one
// `INSERT … SELECT … FROM unnest($1::t[], $2::t[], …)` per batch (one parameter per column,
// whatever the number of rows), then the derived columns are computed in SQL per organisation.
//
// Ids are `bigint` identity keys. Rows whose id a child row must carry (users, teams, clients,
// deals, payments) get ids reserved beforehand from the table's own identity sequence
// (`reserveIds`: one nextval per id, atomic, so concurrent writers never get the same one) and
// are inserted with `OVERRIDING SYSTEM VALUE`; rows nothing refers to in the same load
// (invoices, decisions, memberships …) leave `id` to its identity default.
import { escapeLike } from '../core/db/like.ts';
import type { SQL } from 'drizzle-orm';
import { rows as selectRows, sql, type Tx } from '../core/db/database.ts';

/**
 * Column kinds: a PostgreSQL type, or a compact encoding converted by the server:
 * `ms` (epoch milliseconds → timestamptz), `day` (days since 1970-01-01 → date),
 * `cents` (integer → numeric with 2 places). Numbers travel as short strings, not ISO dates;
 * ids (`bigint`) as the decimal strings PRS carries them in.
 */
export type ColumnKind = 'bigint' | 'text' | 'boolean' | 'int' | 'ms' | 'day' | 'cents';

const PARAM_TYPE: Record<ColumnKind, string> = {
  bigint: 'int8[]',
  text: 'text[]',
  boolean: 'boolean[]',
  int: 'int4[]',
  ms: 'float8[]',
  day: 'int4[]',
  cents: 'int8[]',
};

function expression(kind: ColumnKind, column: SQL): SQL {
  if (kind === 'ms') return sql`to_timestamp(${column} / 1000.0)`;
  if (kind === 'day') return sql`(date '1970-01-01' + ${column})`;
  if (kind === 'cents') return sql`(${column}::numeric / 100)`;
  return column;
}

/** Tables whose ids the bulk loader reserves (each has `id bigint GENERATED ALWAYS AS IDENTITY`). */
export type IdTable = 'users' | 'teams' | 'clients' | 'deals' | 'payments';

/**
 * Reserves ids from the tables' own identity sequences, in one round trip: `counts.deals = 5000`
 * gives 5,000 fresh deal ids (increasing, as decimal strings). Every id is its own `nextval`, so
 * ids are never handed out twice, whoever else draws from the sequence at the same time (the
 * application, a parallel organisation); they are contiguous only when nobody else does.
 * Like every nextval, a reservation is not undone by a rollback: a failed load leaves a gap.
 */
export async function reserveIds<T extends IdTable>(tx: Tx, counts: Readonly<Partial<Record<T, number>>>): Promise<Record<T, string[]>> {
  const wanted = (Object.entries(counts) as [T, number][]).filter(([, n]) => n > 0);
  const result = Object.fromEntries((Object.keys(counts) as T[]).map((t) => [t, [] as string[]])) as Record<T, string[]>;
  if (!wanted.length) return result;
  // The sequence is looked up once per statement (an InitPlan), not per row.
  const columns = wanted.map(
    ([table, n]) =>
      sql`(SELECT string_agg(nextval((SELECT pg_get_serial_sequence(${table}, 'id')::regclass))::text, ',') FROM generate_series(1, ${n}::int)) AS ${sql.identifier(table)}`,
  );
  const [row] = await selectRows<Record<T, string>>(tx, sql`SELECT ${sql.join(columns, sql`, `)}`);
  for (const [table, n] of wanted) {
    const ids = row![table].split(',');
    if (ids.length !== n) throw new Error(`reserved ${ids.length} ${table} ids instead of ${n}`);
    result[table] = ids;
  }
  return result;
}

/** Hands out reserved ids in order; asking for more than were reserved is a bug. */
export class IdSource {
  private next = 0;

  constructor(private readonly table: string, private readonly ids: readonly string[]) {}

  take(): string {
    const id = this.ids[this.next++];
    if (id === undefined) throw new Error(`more ${this.table} ids used than reserved (${this.ids.length})`);
    return id;
  }
}

/** Rows of one table held as columns until they are written. */
export class ColumnRows<C extends string> {
  readonly values: Record<C, unknown[]>;
  private readonly columns: C[];
  length = 0;

  constructor(
    readonly table: string,
    readonly kinds: Readonly<Record<C, ColumnKind>>,
    /** Columns with one value for every row (sent once, not per row). */
    readonly constants: Readonly<Record<string, { value: string; type: string }>> = {},
  ) {
    this.columns = Object.keys(kinds) as C[];
    this.values = Object.fromEntries(this.columns.map((c) => [c, [] as unknown[]])) as Record<C, unknown[]>;
  }

  add(row: Readonly<Record<C, unknown>>): void {
    for (const c of this.columns) this.values[c].push(row[c]);
    this.length++;
  }

  clear(): void {
    for (const c of this.columns) this.values[c] = [];
    this.length = 0;
  }

  /** The pieces of the INSERT: target columns, selected expressions, the unnest source. */
  parts(): { names: ReturnType<typeof sql.identifier>[]; selected: SQL[]; source: SQL } {
    const constantNames = Object.keys(this.constants);
    const names = [...constantNames, ...this.columns].map((c) => sql.identifier(c));
    const selected = [
      ...constantNames.map((c) => sql`${this.constants[c]!.value}::${sql.raw(this.constants[c]!.type)}`),
      ...this.columns.map((c) => expression(this.kinds[c], sql`u.${sql.identifier(c)}`)),
    ];
    const arrays = this.columns.map((c) => sql`${sql.param(this.values[c])}::${sql.raw(PARAM_TYPE[this.kinds[c]])}`);
    const source = sql`unnest(${sql.join(arrays, sql`, `)}) AS u(${sql.join(this.columns.map((c) => sql.identifier(c)), sql`, `)})`;
    return { names, selected, source };
  }

  /** `OVERRIDING SYSTEM VALUE` when the rows carry their (reserved) ids, else nothing. */
  overriding(): SQL {
    return (this.columns as string[]).includes('id') ? sql` OVERRIDING SYSTEM VALUE` : sql``;
  }

  /** The INSERT statement for the rows held now. */
  statement(): SQL {
    const { names, selected, source } = this.parts();
    return sql`INSERT INTO ${sql.identifier(this.table)} (${sql.join(names, sql`, `)})${this.overriding()} SELECT ${sql.join(selected, sql`, `)} FROM ${source}`;
  }
}

/** Writes the rows (if any) and empties the holder; returns how many were written. */
export async function flush(tx: Tx, table: ColumnRows<string>): Promise<number> {
  const n = table.length;
  if (!n) return 0;
  await tx.execute(table.statement());
  table.clear();
  return n;
}

/**
 * Writes a batch of deals with their derived columns (verified_total, payment_count,
 * last_payment_at, payment_status, verification_status) computed in SQL, in the same statement, from the
 * payments of the batch (the rules of `refreshDealMoney`). The payments are written right
 * after, from the same arrays, so the two always agree; no deal row is written twice.
 */
export async function insertDealsWithTotals(
  tx: Tx,
  deals: ColumnRows<'id' | 'declared_payment_status' | 'deal_value' | string>,
  payments: ColumnRows<'deal_id' | 'status' | 'verified_amount' | 'created_at' | string>,
): Promise<number> {
  const n = deals.length;
  if (!n) return 0;
  const { names, selected, source } = deals.parts();
  const value = sql`(u.deal_value::numeric / 100)`;
  await tx.execute(sql`
    WITH money AS (
      SELECT p.deal_id,
             COALESCE(sum(p.verified_amount) FILTER (WHERE p.status = 'verified'), 0)::numeric / 100 AS verified_total,
             count(*)::int AS payment_count,
             count(*) FILTER (WHERE p.status = 'verified') AS verified_count,
             count(*) FILTER (WHERE p.status = 'rejected') AS rejected_count,
             to_timestamp(max(p.created_ms) / 1000.0) AS last_payment_at
      FROM unnest(${sql.param(payments.values.deal_id)}::bigint[], ${sql.param(payments.values.status)}::text[], ${sql.param(payments.values.verified_amount)}::int8[],
                  ${sql.param(payments.values.created_at)}::float8[])
        AS p(deal_id, status, verified_amount, created_ms)
      GROUP BY p.deal_id)
    INSERT INTO deals (${sql.join(names, sql`, `)}, verified_total, payment_count, last_payment_at, payment_status, verification_status)${deals.overriding()}
    SELECT ${sql.join(selected, sql`, `)},
           COALESCE(m.verified_total, 0),
           COALESCE(m.payment_count, 0),
           m.last_payment_at,
           CASE WHEN COALESCE(m.verified_total, 0) >= ${value} THEN 'full_payment'
                WHEN COALESCE(m.verified_total, 0) > 0 THEN 'partial_payment'
                ELSE u.declared_payment_status END,
           CASE WHEN m.verified_count > 0 THEN 'verified'
                WHEN m.payment_count > 0 AND m.rejected_count = m.payment_count THEN 'rejected'
                ELSE 'pending' END
    FROM ${source} LEFT JOIN money m ON m.deal_id = u.id`);
  deals.clear();
  return n;
}

/**
 * Clients' status from their deals (the rules of `refreshClientStatus`, without bad debt,
 * which generated data never has), for a whole organisation in one statement.
 */
export async function deriveClientStatus(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`
    UPDATE clients c SET status = CASE WHEN x.unpaid > 0 THEN 'pending' ELSE 'clear' END
    FROM (SELECT client_id, count(*) FILTER (WHERE verified_total < deal_value) AS unpaid
          FROM deals WHERE organization_id = ${orgId} AND deleted_at IS NULL GROUP BY client_id) x
    WHERE c.id = x.client_id AND c.organization_id = ${orgId} AND c.status <> CASE WHEN x.unpaid > 0 THEN 'pending' ELSE 'clear' END`);
}

/** Sets the code counters to the last codes used, so that the application continues the numbering. */
export async function setCodeSequences(tx: Tx, orgId: string, last: Record<'deal' | 'payment' | 'invoice', number>): Promise<void> {
  const entries = Object.entries(last).filter(([, n]) => n > 0);
  if (!entries.length) return;
  await tx.execute(sql`
    INSERT INTO code_sequences (organization_id, name, last_value)
    VALUES ${sql.join(entries.map(([name, n]) => sql`(${orgId}, ${name}, ${n})`), sql`, `)}
    ON CONFLICT (organization_id, name) DO UPDATE SET last_value = GREATEST(code_sequences.last_value, EXCLUDED.last_value)`);
}

/** The highest number N among organisations named `<prefix> N`. */
export async function lastOrganisationNumber(tx: Tx, prefix: string): Promise<number> {
  const found = await selectRows<{ n: number | null }>(
    tx,
    sql`SELECT max(substring(name FROM '(\\d+)$')::int) AS n FROM organizations WHERE name LIKE ${`${escapeLike(prefix)} %`}`,
  );
  return found[0]?.n ?? 0;
}
