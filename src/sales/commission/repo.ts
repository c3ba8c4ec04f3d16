// SQL for commission: organisation facts, rates and plans, accruals and stored statements.
// Every query names the organisation explicitly (row-level security enforces it as well).
import type { SQL } from 'drizzle-orm';
import { jsonRows, rows, sql, type Tx } from '../../core/db/database.ts';
import { DEFAULT_RATE } from './formula.ts';
import type { Period, PeriodKind } from './periods.ts';

export interface OrgFacts {
  currency: string;
  time_zone: string;
  today: string;
}

export async function orgFacts(tx: Tx, orgId: string): Promise<OrgFacts> {
  const [row] = await rows<OrgFacts>(
    tx,
    sql`SELECT o.currency, o.time_zone, to_char((now() AT TIME ZONE o.time_zone)::date, 'YYYY-MM-DD') AS today FROM organizations o WHERE o.id = ${orgId}`,
  );
  if (!row) throw new Error('organisation not found');
  return row;
}

/** The rate in force on `day` (latest recorded on or before it), 1 for the same currency, or null. */
export async function fxRate(tx: Tx, orgId: string, from: string, to: string, day: string): Promise<string | null> {
  const [row] = await rows<{ rate: string | null }>(tx, sql`SELECT app.fx_rate(${orgId}, ${from}, ${to}, ${day}::date)::text AS rate`);
  return row?.rate ?? null;
}

/** The user's commission rate (%) in force on `day`; 5.00 without a plan. */
export async function planRate(tx: Tx, orgId: string, userId: string, day: string): Promise<string> {
  const [row] = await rows<{ rate: string }>(
    tx,
    sql`SELECT rate::text AS rate FROM commission_plans WHERE organization_id = ${orgId} AND user_id = ${userId} AND effective_from <= ${day}::date
        ORDER BY effective_from DESC LIMIT 1`,
  );
  return row?.rate ?? DEFAULT_RATE;
}

type PlanRow = { user_id: string; rate: string; effective_from: string };
type PlanRates = Map<string, { rate: string; effective_from: string | null }>;

/** Each user's plan in force on `day` (the newest from that day or before); `users` completes `user_id …`. */
const planRatesSelect = (orgId: string, users: SQL, day: string): SQL =>
  sql`SELECT DISTINCT ON (user_id) user_id::text AS user_id, rate::text AS rate, to_char(effective_from, 'YYYY-MM-DD') AS effective_from
      FROM commission_plans WHERE organization_id = ${orgId} AND user_id ${users} AND effective_from <= ${day}::date
      ORDER BY user_id, effective_from DESC`;

/** The plans found, by user; the default rate for the users without one. */
function planRatesOf(found: PlanRow[], userIds: string[]): PlanRates {
  const map: PlanRates = new Map(found.map((r) => [r.user_id, { rate: r.rate, effective_from: r.effective_from as string | null }]));
  for (const id of userIds) if (!map.has(id)) map.set(id, { rate: DEFAULT_RATE, effective_from: null });
  return map;
}

/** Plan rates in force on `day` for several users (missing = default). */
export async function planRates(tx: Tx, orgId: string, userIds: string[], day: string): Promise<PlanRates> {
  if (!userIds.length) return new Map();
  return planRatesOf(await rows<PlanRow>(tx, planRatesSelect(orgId, sql`= ANY(${sql.param(userIds)}::bigint[])`, day)), userIds);
}

export interface UserLite {
  id: string;
  full_name: string;
  email: string;
}

const USER_NAME = sql`COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.email)`;

/** Members (past or present) of the organisation among `ids`, by name. */
export function membersAmong(tx: Tx, orgId: string, ids: string[]): Promise<UserLite[]> {
  if (!ids.length) return Promise.resolve([]);
  return rows<UserLite>(
    tx,
    sql`SELECT u.id, ${USER_NAME} AS full_name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = ${orgId} AND u.id = ANY(${sql.param(ids)}::bigint[]) ORDER BY lower(${USER_NAME}), u.id`,
  );
}

/** The organisation's salespeople: active members whose role is a sales role. */
const salespeopleSelect = (orgId: string): SQL =>
  sql`SELECT m.user_id AS id FROM memberships m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
      WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active AND r.name ILIKE '%sales%'`;

export async function salespeople(tx: Tx, orgId: string): Promise<string[]> {
  return (await rows<{ id: string }>(tx, salespeopleSelect(orgId))).map((r) => r.id);
}

export interface AccrualAggregate {
  user_id: string;
  sales_base: string;
  weighted_base: string;
  accrual_count: number;
  needs_rate_count: number;
}

/**
 * Exact sums over a period's accruals per user (reversal rows count negatively; accruals marked
 * reversed and those recorded in a former organisation currency do not count).
 */
function accrualAggregatesSelect(orgId: string, orgCurrency: string, period: Period, userIds: string[] | null): SQL {
  const users = userIds ? sql`AND a.user_id = ANY(${sql.param(userIds)}::bigint[])` : sql``;
  return sql`SELECT a.user_id::text AS user_id, COALESCE(sum(a.base), 0)::text AS sales_base, COALESCE(sum(a.base * a.rate), 0)::text AS weighted_base,
             count(*) FILTER (WHERE a.status <> 'needs_rate')::int AS accrual_count,
             count(*) FILTER (WHERE a.status = 'needs_rate')::int AS needs_rate_count
      FROM commission_accruals a
      WHERE a.organization_id = ${orgId} AND a.period_date BETWEEN ${period.start}::date AND ${period.end}::date
        AND a.status <> 'reversed' AND a.org_currency = ${orgCurrency} ${users}
      GROUP BY a.user_id`;
}

export interface StoredStatement {
  id: string;
  user_id: string;
  period_kind: PeriodKind;
  start_date: string;
  end_date: string;
  currency: string;
  payout_currency: string;
  exchange_rate: string;
  rate_override: string | null;
  sales_base: string;
  commission: string;
  bonus: string;
  penalty: string;
  final_amount: string;
  accrual_count: number;
  needs_rate_count: number;
  status: 'pending' | 'approved' | 'paid';
  computed_at: string | null;
  approved_at: string | null;
  paid_at: string | null;
  version: number;
}

export const STATEMENT_SELECT = sql`
  SELECT s.id::text AS id, s.user_id::text AS user_id, s.period_kind, to_char(s.start_date, 'YYYY-MM-DD') AS start_date, to_char(s.end_date, 'YYYY-MM-DD') AS end_date,
         s.currency, s.payout_currency, s.exchange_rate::text AS exchange_rate, s.rate_override::text AS rate_override,
         s.sales_base::text AS sales_base, s.commission::text AS commission, s.bonus::text AS bonus, s.penalty::text AS penalty,
         s.final_amount::text AS final_amount, s.accrual_count, s.needs_rate_count, s.status, s.computed_at, s.approved_at, s.paid_at, s.version
  FROM commission_statements s`;

function storedSelect(orgId: string, kind: PeriodKind, start: string, userIds: string[] | null): SQL {
  const users = userIds ? sql`AND s.user_id = ANY(${sql.param(userIds)}::bigint[])` : sql``;
  return sql`${STATEMENT_SELECT} WHERE s.organization_id = ${orgId} AND s.period_kind = ${kind} AND s.start_date = ${start}::date ${users}`;
}

export function storedStatements(tx: Tx, orgId: string, kind: PeriodKind, start: string, userIds: string[] | null): Promise<StoredStatement[]> {
  return rows<StoredStatement>(tx, storedSelect(orgId, kind, start, userIds));
}

export interface StatementInputs {
  aggregates: AccrualAggregate[];
  stored: StoredStatement[];
  /** The members concerned, by name. */
  users: UserLite[];
  /** Plan rates in force at the period's end (missing = default). */
  plans: PlanRates;
}

/**
 * What a period's statements are computed from, in one statement: the accrual sums, the stored
 * statements, the members concerned (`userIds`, or null = every salesperson plus anyone with
 * accruals or a statement in the period) and their plan rates.
 */
export async function statementInputs(tx: Tx, orgId: string, orgCurrency: string, period: Period, userIds: string[] | null): Promise<StatementInputs> {
  const stored = period.kind === 'custom' ? sql`${STATEMENT_SELECT} WHERE false` : storedSelect(orgId, period.kind, period.start, userIds);
  // agg and st carry ids as text (for their JSON); the candidates are compared as bigint.
  const candidates = userIds ? sql`SELECT unnest(${sql.param(userIds)}::bigint[])` : sql`${salespeopleSelect(orgId)} UNION SELECT user_id::bigint FROM agg UNION SELECT user_id::bigint FROM st`;
  const [row] = await rows<Omit<StatementInputs, 'plans'> & { plans: PlanRow[] }>(
    tx,
    sql`WITH agg AS MATERIALIZED (${accrualAggregatesSelect(orgId, orgCurrency, period, userIds)}),
          st AS MATERIALIZED (${stored}),
          mem AS MATERIALIZED (SELECT u.id, ${USER_NAME} AS full_name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
                               WHERE m.organization_id = ${orgId} AND u.id IN (${candidates}))
        -- Ids leave as text inside the JSON, as in every other row (bigint would be a JSON number).
        SELECT ${jsonRows(sql`SELECT * FROM agg`)} AS aggregates, ${jsonRows(sql`SELECT * FROM st`)} AS stored,
          ${jsonRows(sql`SELECT id::text AS id, full_name, email FROM mem ORDER BY lower(full_name), mem.id`)} AS users,
          ${jsonRows(planRatesSelect(orgId, sql`IN (SELECT id FROM mem)`, period.end))} AS plans`,
  );
  const plans = planRatesOf(row!.plans, row!.users.map((u) => u.id));
  return { ...row!, plans };
}

export async function findStatement(tx: Tx, orgId: string, id: string, forUpdate = false): Promise<StoredStatement | undefined> {
  const [row] = await rows<StoredStatement>(tx, sql`${STATEMENT_SELECT} WHERE s.organization_id = ${orgId} AND s.id = ${id}${forUpdate ? sql` FOR UPDATE` : sql``}`);
  return row;
}

export interface ComputedFigures {
  sales_base: string;
  commission: string;
  final_amount: string;
  accrual_count: number;
  needs_rate_count: number;
}

/** Stores a statement's computed figures (creating it if needed); frozen statements are left alone. */
export async function saveFigures(
  tx: Tx,
  orgId: string,
  s: { userId: string; period: Period & { kind: PeriodKind }; currency: string; actorId: string | null },
  f: ComputedFigures,
): Promise<string | undefined> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO commission_statements (organization_id, user_id, period_kind, start_date, end_date, currency, payout_currency,
          sales_base, commission, final_amount, accrual_count, needs_rate_count, computed_at, created_by, updated_by)
        VALUES (${orgId}, ${s.userId}, ${s.period.kind}, ${s.period.start}::date, ${s.period.end}::date, ${s.currency}, ${s.currency},
          ${f.sales_base}, ${f.commission}, ${f.final_amount}, ${f.accrual_count}, ${f.needs_rate_count}, now(), ${s.actorId}, ${s.actorId})
        ON CONFLICT (organization_id, user_id, period_kind, start_date) DO UPDATE SET
          sales_base = EXCLUDED.sales_base, commission = EXCLUDED.commission, final_amount = EXCLUDED.final_amount,
          accrual_count = EXCLUDED.accrual_count, needs_rate_count = EXCLUDED.needs_rate_count, computed_at = now(),
          updated_by = EXCLUDED.updated_by, version = commission_statements.version + 1
        WHERE commission_statements.status = 'pending'
        RETURNING id`,
  );
  return row?.id;
}
