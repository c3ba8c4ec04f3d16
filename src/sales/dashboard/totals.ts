// Reads of the maintained payment aggregates (migration 0008): a date range is answered from
// whole months of `sales_monthly` plus the loose days at either end from `sales_daily`, and an
// open range from the all-time `payment_totals`. The cost follows the range and the number of
// salespeople, never the number of payments.
import type { SQL } from 'drizzle-orm';
import { sql } from '../../core/db/database.ts';

export type PaymentStatus = 'verified' | 'pending' | 'rejected' | 'refunded' | 'bad_debt';

export interface TotalsFilter {
  orgId: string;
  status: PaymentStatus;
  userId?: string | undefined;
  /** Inclusive calendar dates (YYYY-MM-DD); either may be open. */
  start?: string | undefined;
  end?: string | undefined;
}

const day = (s: string) => new Date(`${s}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);
const monthStart = (s: string) => `${s.slice(0, 7)}-01`;
const nextMonth = (s: string) => {
  const d = day(monthStart(s));
  return iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)));
};
const dayBefore = (s: string) => iso(new Date(day(s).getTime() - 86_400_000));

export interface RangeParts {
  /** First days of the first and last whole months (null = open), or none. */
  months: { from: string | null; to: string | null } | null;
  /** Inclusive day ranges outside the whole months. */
  days: { from: string; to: string }[];
}

/** Splits [start, end] into whole calendar months and the loose days around them. */
export function splitRange(start?: string, end?: string): RangeParts {
  const firstMonth = start === undefined ? null : start.endsWith('-01') ? start : nextMonth(start);
  // The last whole month is end's own month when end is its last day, else the month before.
  const lastMonth = end === undefined ? null : nextMonth(end) === iso(new Date(day(end).getTime() + 86_400_000)) ? monthStart(end) : monthStart(dayBefore(monthStart(end)));
  if (start !== undefined && end !== undefined && (firstMonth! > lastMonth! || start > end)) {
    return { months: null, days: start > end ? [] : [{ from: start, to: end }] };
  }
  const days: RangeParts['days'] = [];
  if (start !== undefined && start < firstMonth!) days.push({ from: start, to: dayBefore(firstMonth!) });
  if (end !== undefined && nextMonth(lastMonth!) <= end) days.push({ from: nextMonth(lastMonth!), to: end });
  return { months: { from: firstMonth, to: lastMonth }, days };
}

/**
 * Rows (bucket date, user_id, currency, amount, payments) covering the filter exactly.
 * `bucket` is the day for daily rows and the month's first day for monthly rows, so callers
 * may group by day only when `dailyOnly` is set.
 */
export function totalsRows(f: TotalsFilter, opts: { dailyOnly?: boolean } = {}): SQL {
  const user = f.userId ? sql` AND user_id = ${f.userId}` : sql``;
  if (f.start === undefined && f.end === undefined && !opts.dailyOnly) {
    return sql`SELECT NULL::date AS bucket, user_id, currency, amount, payments FROM payment_totals
               WHERE organization_id = ${f.orgId} AND status = ${f.status}${user}`;
  }
  const parts: SQL[] = [];
  const range = opts.dailyOnly ? { months: null, days: [{ from: f.start ?? '0001-01-01', to: f.end ?? '9999-12-31' }] } : splitRange(f.start, f.end);
  if (range.months) {
    const from = range.months.from ? sql` AND month >= ${range.months.from}` : sql``;
    const to = range.months.to ? sql` AND month <= ${range.months.to}` : sql``;
    parts.push(sql`SELECT month AS bucket, user_id, currency, amount, payments FROM sales_monthly
                   WHERE organization_id = ${f.orgId} AND status = ${f.status}${user}${from}${to}`);
  }
  for (const d of range.days) {
    parts.push(sql`SELECT day AS bucket, user_id, currency, amount, payments FROM sales_daily
                   WHERE organization_id = ${f.orgId} AND status = ${f.status}${user} AND day BETWEEN ${d.from} AND ${d.to}`);
  }
  if (!parts.length) return sql`SELECT NULL::date AS bucket, NULL::bigint AS user_id, NULL::char(3) AS currency, 0::numeric AS amount, 0 AS payments WHERE false`;
  return sql.join(parts, sql` UNION ALL `);
}
