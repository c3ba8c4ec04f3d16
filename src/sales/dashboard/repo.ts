// Aggregates for the dashboards. Money is always summed per currency (never across
// currencies); "sales" and "revenue" are verified money only, dated by the payment date.
import type { SQL } from 'drizzle-orm';
import { jsonRows, rows, sql, type Tx } from '../../core/db/database.ts';
import { totalsRows, type PaymentStatus, type TotalsFilter } from './totals.ts';

export interface CurrencyAmount {
  currency: string;
  amount: string;
  count: number;
}

export interface SalesFilter {
  orgId: string;
  userId?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  status?: PaymentStatus;
}

const totalsFilter = (f: SalesFilter): TotalsFilter => ({ orgId: f.orgId, status: f.status ?? 'verified', userId: f.userId, start: f.start, end: f.end });

/** Σ money per currency of totals rows (see totals.ts). */
export const moneyByCurrencySelect = (totals: SQL): SQL =>
  sql`SELECT currency, sum(amount)::text AS amount, sum(payments)::int AS count
      FROM (${totals}) t GROUP BY currency HAVING sum(payments) <> 0 ORDER BY currency`;

/** Σ money per currency: verified amounts for verified payments, received amounts otherwise. */
export function moneyByCurrency(tx: Tx, f: SalesFilter): Promise<CurrencyAmount[]> {
  return rows<CurrencyAmount>(tx, moneyByCurrencySelect(totalsRows(totalsFilter(f))));
}

export type Bucket = 'day' | 'week' | 'month';

/** Σ amount per bucket (day, ISO week or month) of totals rows in one currency. */
export function seriesSelect(totals: SQL, currency: SQL | string, bucket: Bucket): SQL {
  const unit = sql.raw(`'${bucket}'`);
  return sql`SELECT to_char(date_trunc(${unit}, bucket), 'YYYY-MM-DD') AS bucket, COALESCE(sum(amount), 0)::text AS amount
      FROM (${totals}) t WHERE currency = ${currency} GROUP BY 1 ORDER BY 1`;
}

/** Verified sales per bucket (day, ISO week or month) in one currency. */
export function salesSeries(tx: Tx, f: SalesFilter & { currency: string; bucket: Bucket }): Promise<{ bucket: string; amount: string }[]> {
  return rows(tx, seriesSelect(totalsRows(totalsFilter(f), { dailyOnly: f.bucket !== 'month' }), f.currency, f.bucket));
}

export interface OutstandingDeal {
  id: string;
  deal_code: string;
  client_name: string;
  deal_value: string;
  currency: string;
  deal_date: string;
  satisfaction: string | null;
  status: string;
}

/** One salesperson's ten newest deals not yet fully paid (any period); the id as text, also inside SQL-built JSON. */
export const outstandingDealsSelect = (orgId: string, userId: string): SQL =>
  sql`SELECT d.id::text AS id, d.deal_code, c.client_name, d.deal_value::text AS deal_value, d.currency, to_char(d.deal_date, 'YYYY-MM-DD') AS deal_date, c.satisfaction, c.status
      FROM deals d JOIN clients c ON c.id = d.client_id
      WHERE d.organization_id = ${orgId} AND d.created_by = ${userId} AND d.deleted_at IS NULL AND d.verified_total < d.deal_value
      ORDER BY d.deal_date DESC, d.id DESC LIMIT 10`;

export interface OverviewFigures {
  target: string | null;
  counts: { total: number; verified: number; pending: number };
  revenue: CurrencyAmount[];
  month: CurrencyAmount[];
  outstanding: OutstandingDeal[];
  chart: { bucket: string; amount: string }[];
}

/**
 * Everything the seeds' overview shows besides the organisation's facts, in one statement:
 * all-time and this month's verified money, deal counts, target, outstanding deals and the
 * monthly chart from `chartStart` to today in the organisation's currency.
 */
export async function overviewFigures(tx: Tx, f: { orgId: string; userId: string; currency: string; today: string; month: { start: string; end: string }; chartStart: string }): Promise<OverviewFigures> {
  const mine = { orgId: f.orgId, userId: f.userId, status: 'verified' as const };
  const [row] = await rows<OverviewFigures>(
    tx,
    sql`SELECT (SELECT sales_target::text FROM memberships WHERE organization_id = ${f.orgId} AND user_id = ${f.userId}) AS target,
          (SELECT json_build_object('total', COALESCE(sum(deals), 0)::int, 'verified', COALESCE(sum(deals) FILTER (WHERE verification_status = 'verified'), 0)::int,
                                    'pending', COALESCE(sum(deals) FILTER (WHERE verification_status = 'pending'), 0)::int)
           FROM deal_totals WHERE organization_id = ${f.orgId} AND user_id = ${f.userId}) AS counts,
          ${jsonRows(moneyByCurrencySelect(totalsRows(mine)))} AS revenue,
          ${jsonRows(moneyByCurrencySelect(totalsRows({ ...mine, start: f.month.start, end: f.month.end })))} AS month,
          ${jsonRows(outstandingDealsSelect(f.orgId, f.userId))} AS outstanding,
          ${jsonRows(seriesSelect(totalsRows({ ...mine, start: f.chartStart, end: f.today }), f.currency, 'month'))} AS chart`,
  );
  return row!;
}

/** Σ of a counter column of the maintained totals for one status (statuses are constants here). */
export const countOf = (column: 'payments' | 'invoices', status: string) => sql.raw(`COALESCE(sum(${column}) FILTER (WHERE status = '${status}'), 0)::int`);

export interface VerifierFigures {
  counts: { total: number; verified: number; rejected: number; pending: number };
  revenue: CurrencyAmount[];
  refunded: CurrencyAmount[];
  trend: { label: string; total_amount: string; count: number }[];
}

/**
 * The verifier dashboard's figures in one statement: payments per status, all-time verified
 * and refunded money per currency, and verified money per bucket from `start` on in the
 * organisation's currency.
 */
export async function verifierFigures(tx: Tx, f: { orgId: string; currency: string; start: string; bucket: Bucket }): Promise<VerifierFigures> {
  const n = (status: PaymentStatus) => countOf('payments', status);
  // The organisation's all-time totals are read once, summed per status and currency.
  const all = (status: PaymentStatus) => sql`SELECT currency, amount, payments FROM pt WHERE status = ${status}`;
  const [row] = await rows<VerifierFigures>(
    tx,
    sql`WITH pt AS MATERIALIZED (
          SELECT status, currency, sum(amount) AS amount, sum(payments) AS payments FROM payment_totals WHERE organization_id = ${f.orgId} GROUP BY status, currency)
        SELECT (SELECT json_build_object('total', COALESCE(sum(payments), 0)::int, 'verified', ${n('verified')}, 'rejected', ${n('rejected')},
                                         'pending', ${n('pending')}) FROM pt) AS counts,
          ${jsonRows(moneyByCurrencySelect(all('verified')))} AS revenue,
          ${jsonRows(moneyByCurrencySelect(all('refunded')))} AS refunded,
          ${jsonRows(sql`SELECT to_char(date_trunc(${sql.raw(`'${f.bucket}'`)}, bucket), 'YYYY-MM-DD') AS label,
                                COALESCE(sum(amount), 0)::text AS total_amount, COALESCE(sum(payments), 0)::int AS count
                         FROM (${totalsRows({ orgId: f.orgId, status: 'verified', start: f.start }, { dailyOnly: f.bucket !== 'month' })}) t
                         WHERE currency = ${f.currency} GROUP BY 1 HAVING sum(payments) <> 0 ORDER BY 1`)} AS trend`,
  );
  return row!;
}

export interface Ranked {
  id: string;
  name: string;
  picture: string | null;
  amount: string;
  deals: number;
}

/** Verified sales per salesperson in one currency and period, and their deals dated in it. */
function perPersonCtes(orgId: string, start: string, end: string, currency: string): SQL {
  return sql`sales AS (
      SELECT user_id, sum(amount) AS amount FROM (${totalsRows({ orgId, status: 'verified', start, end })}) t
      WHERE currency = ${currency} GROUP BY user_id),
    dealt AS (
      SELECT created_by AS user_id, count(*) AS deals FROM deals
      WHERE organization_id = ${orgId} AND deleted_at IS NULL AND currency = ${currency} AND deal_date BETWEEN ${start} AND ${end}
      GROUP BY created_by)`;
}

/** Sales people of the organisation ranked by verified sales in one currency (no sales = 0). */
export function individualStandings(tx: Tx, orgId: string, start: string, end: string, currency: string): Promise<Ranked[]> {
  return rows<Ranked>(
    tx,
    sql`WITH ${perPersonCtes(orgId, start, end, currency)}
        SELECT u.id, trim(u.first_name || ' ' || u.last_name) AS name, u.profile_picture AS picture,
               COALESCE(s.amount, 0)::text AS amount, COALESCE(dl.deals, 0)::int AS deals
        FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id
        JOIN role_permissions rp ON rp.role_id = r.id JOIN permissions pm ON pm.id = rp.permission_id AND pm.code = 'deals:create'
        LEFT JOIN sales s ON s.user_id = u.id LEFT JOIN dealt dl ON dl.user_id = u.id
        WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active AND r.name <> 'Org Admin'
        ORDER BY COALESCE(s.amount, 0) DESC, name, u.id`,
  );
}

export function teamStandings(tx: Tx, orgId: string, start: string, end: string, currency: string): Promise<(Ranked & { members: number })[]> {
  return rows(
    tx,
    sql`WITH ${perPersonCtes(orgId, start, end, currency)}
        SELECT t.id, t.name, lead.profile_picture AS picture, COALESCE(x.amount, 0)::text AS amount, COALESCE(x.deals, 0)::int AS deals,
               COALESCE(x.members, 0)::int AS members
        FROM teams t LEFT JOIN users lead ON lead.id = t.team_lead_id
        LEFT JOIN LATERAL (
          SELECT sum(s.amount) AS amount, sum(dl.deals) AS deals, count(*) AS members
          FROM team_members tm LEFT JOIN sales s ON s.user_id = tm.user_id LEFT JOIN dealt dl ON dl.user_id = tm.user_id
          WHERE tm.team_id = t.id) x ON true
        WHERE t.organization_id = ${orgId}
        ORDER BY COALESCE(x.amount, 0) DESC, t.name, t.id`,
  );
}

export interface ClientTotals {
  id: string;
  client_name: string;
  email: string;
  phone_number: string;
  nationality: string;
  remarks: string;
  status: string;
  total_deals: number;
  total_value: string;
  paid_amount: string;
  last_payment_date: string | null;
}

/**
 * Clients with their deal totals in one currency, optionally only those of one owner's deals.
 * Without a period the maintained per-client totals answer; a period reads its own deals.
 */
export function clientTotals(tx: Tx, f: { orgId: string; currency: string; ownerId?: string | undefined; start?: string; end?: string; status?: string | undefined; limit: number; order: 'value' | 'outstanding' }) {
  const order = f.order === 'value' ? sql`sum(t.verified_total) DESC` : sql`sum(t.deal_value - t.verified_total) DESC`;
  const clientStatus = f.status ? sql`AND c.status = ${f.status}` : sql``;
  let source: SQL;
  if (f.start || f.end) {
    const where: SQL[] = [sql`d.organization_id = ${f.orgId}`, sql`d.deleted_at IS NULL`, sql`d.currency = ${f.currency}`];
    if (f.ownerId) where.push(sql`d.created_by = ${f.ownerId}`);
    if (f.start) where.push(sql`d.deal_date >= ${f.start}`);
    if (f.end) where.push(sql`d.deal_date <= ${f.end}`);
    source = sql`SELECT d.client_id, 1 AS deals, d.deal_value, d.verified_total FROM deals d WHERE ${sql.join(where, sql` AND `)}`;
  } else {
    const owner = f.ownerId ? sql` AND user_id = ${f.ownerId}` : sql``;
    source = sql`SELECT client_id, deals, deal_value, verified_total FROM client_totals
                 WHERE organization_id = ${f.orgId} AND currency = ${f.currency}${owner}`;
  }
  // The last payment date is looked up for the page's clients only.
  return rows<ClientTotals>(
    tx,
    sql`SELECT x.*, (SELECT to_char(max(p.payment_date), 'YYYY-MM-DD') FROM deals dd JOIN payments p ON p.deal_id = dd.id
                     WHERE dd.organization_id = ${f.orgId} AND dd.client_id = x.id AND dd.deleted_at IS NULL AND p.status = 'verified') AS last_payment_date
        FROM (
          SELECT c.id, c.client_name, c.email, c.phone_number, c.nationality, c.remarks, c.status,
                 sum(t.deals)::int AS total_deals, sum(t.deal_value)::text AS total_value, sum(t.verified_total)::text AS paid_amount
          FROM (${source}) t JOIN clients c ON c.id = t.client_id
          WHERE c.deleted_at IS NULL ${clientStatus}
          GROUP BY c.id HAVING sum(t.deals) > 0 ORDER BY ${order}, c.client_name, c.id LIMIT ${f.limit}) x
        ORDER BY ${f.order === 'value' ? sql`x.paid_amount::numeric DESC` : sql`(x.total_value::numeric - x.paid_amount::numeric) DESC`}, x.client_name, x.id`,
  );
}

export interface RecentPayment {
  id: string;
  transaction_id: string;
  client_name: string;
  received_amount: string;
  currency: string;
  payment_method: string;
  status: string;
  payment_date: string;
}

/**
 * The newest payments on one salesperson's live deals, read from the deals with the newest
 * payments (`deals.last_payment_at`, index-ordered): the n newest payments always lie on the n
 * deals whose last payment is newest, so the cost does not grow with the person's history.
 */
export function recentPaymentsOf(tx: Tx, orgId: string, userId: string, limit: number): Promise<RecentPayment[]> {
  return rows<RecentPayment>(
    tx,
    sql`WITH recent_deals AS MATERIALIZED (
          SELECT id FROM deals
          WHERE organization_id = ${orgId} AND created_by = ${userId} AND deleted_at IS NULL AND last_payment_at IS NOT NULL
          ORDER BY last_payment_at DESC FETCH FIRST ${limit} ROWS WITH TIES)
        SELECT p.id, p.transaction_id, c.client_name, p.received_amount::text AS received_amount, d.currency, p.payment_method, p.status,
               to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date
        FROM recent_deals r JOIN deals d ON d.id = r.id JOIN payments p ON p.deal_id = d.id JOIN clients c ON c.id = d.client_id
        ORDER BY p.created_at DESC, p.id DESC LIMIT ${limit}`,
  );
}
