// Aggregates for the dashboards. Money is always summed per currency (never across
// currencies); "sales" and "revenue" are verified money only, dated by the payment date.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../db/database.ts';

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
  status?: 'verified' | 'pending' | 'rejected' | 'refunded' | 'bad_debt';
}

function paymentWhere(f: SalesFilter): SQL {
  const where: SQL[] = [sql`p.organization_id = ${f.orgId}`, sql`d.deleted_at IS NULL`];
  if (f.userId) where.push(sql`d.created_by = ${f.userId}`);
  if (f.start) where.push(sql`p.payment_date >= ${f.start}`);
  if (f.end) where.push(sql`p.payment_date <= ${f.end}`);
  where.push(sql`p.status = ${f.status ?? 'verified'}`);
  return sql.join(where, sql` AND `);
}

/** Σ money per currency: verified amounts for verified payments, received amounts otherwise. */
export function moneyByCurrency(tx: Tx, f: SalesFilter): Promise<CurrencyAmount[]> {
  const amount = (f.status ?? 'verified') === 'verified' ? sql`p.verified_amount` : sql`p.received_amount`;
  return rows<CurrencyAmount>(
    tx,
    sql`SELECT d.currency, COALESCE(sum(${amount}), 0)::text AS amount, count(*)::int AS count
        FROM payments p JOIN deals d ON d.id = p.deal_id WHERE ${paymentWhere(f)} GROUP BY d.currency ORDER BY d.currency`,
  );
}

/** Verified sales per bucket (day, ISO week or month) in one currency. */
export function salesSeries(tx: Tx, f: SalesFilter & { currency: string; bucket: 'day' | 'week' | 'month' }): Promise<{ bucket: string; amount: string }[]> {
  const unit = f.bucket === 'day' ? sql.raw(`'day'`) : f.bucket === 'week' ? sql.raw(`'week'`) : sql.raw(`'month'`);
  return rows(
    tx,
    sql`SELECT to_char(date_trunc(${unit}, p.payment_date), 'YYYY-MM-DD') AS bucket, COALESCE(sum(p.verified_amount), 0)::text AS amount
        FROM payments p JOIN deals d ON d.id = p.deal_id WHERE ${paymentWhere(f)} AND d.currency = ${f.currency}
        GROUP BY 1 ORDER BY 1`,
  );
}

export interface Ranked {
  id: string;
  name: string;
  picture: string | null;
  amount: string;
  deals: number;
}

/** Sales people of the organisation ranked by verified sales in one currency (no sales = 0). */
export function individualStandings(tx: Tx, orgId: string, start: string, end: string, currency: string): Promise<Ranked[]> {
  return rows<Ranked>(
    tx,
    sql`SELECT u.id, trim(u.first_name || ' ' || u.last_name) AS name, u.profile_picture AS picture,
               COALESCE(s.amount, 0)::text AS amount, COALESCE(s.deals, 0)::int AS deals
        FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id
        JOIN role_permissions rp ON rp.role_id = r.id JOIN permissions pm ON pm.id = rp.permission_id AND pm.code = 'deals:create'
        LEFT JOIN LATERAL (
          SELECT sum(p.verified_amount) AS amount, count(DISTINCT d.id) AS deals
          FROM payments p JOIN deals d ON d.id = p.deal_id
          WHERE p.organization_id = ${orgId} AND p.status = 'verified' AND d.deleted_at IS NULL AND d.created_by = u.id
            AND d.currency = ${currency} AND p.payment_date BETWEEN ${start} AND ${end}) s ON true
        WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active AND r.name <> 'Org Admin'
        ORDER BY COALESCE(s.amount, 0) DESC, name, u.id`,
  );
}

export function teamStandings(tx: Tx, orgId: string, start: string, end: string, currency: string): Promise<(Ranked & { members: number })[]> {
  return rows(
    tx,
    sql`SELECT t.id, t.name, lead.profile_picture AS picture, COALESCE(s.amount, 0)::text AS amount, COALESCE(s.deals, 0)::int AS deals,
               (SELECT count(*)::int FROM team_members tm WHERE tm.team_id = t.id) AS members
        FROM teams t LEFT JOIN users lead ON lead.id = t.team_lead_id
        LEFT JOIN LATERAL (
          SELECT sum(p.verified_amount) AS amount, count(DISTINCT d.id) AS deals
          FROM team_members tm JOIN deals d ON d.created_by = tm.user_id AND d.organization_id = ${orgId}
          JOIN payments p ON p.deal_id = d.id
          WHERE tm.team_id = t.id AND p.status = 'verified' AND d.deleted_at IS NULL AND d.currency = ${currency}
            AND p.payment_date BETWEEN ${start} AND ${end}) s ON true
        WHERE t.organization_id = ${orgId}
        ORDER BY COALESCE(s.amount, 0) DESC, t.name, t.id`,
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

/** Clients with their deal totals in one currency, optionally only those of one owner's deals. */
export function clientTotals(tx: Tx, f: { orgId: string; currency: string; ownerId?: string | undefined; start?: string; end?: string; status?: string | undefined; limit: number; order: 'value' | 'outstanding' }) {
  const dealWhere: SQL[] = [sql`d.organization_id = ${f.orgId}`, sql`d.deleted_at IS NULL`, sql`d.currency = ${f.currency}`];
  if (f.ownerId) dealWhere.push(sql`d.created_by = ${f.ownerId}`);
  if (f.start) dealWhere.push(sql`d.deal_date >= ${f.start}`);
  if (f.end) dealWhere.push(sql`d.deal_date <= ${f.end}`);
  const order = f.order === 'value' ? sql`sum(d.verified_total) DESC` : sql`sum(d.deal_value - d.verified_total) DESC`;
  return rows<ClientTotals>(
    tx,
    sql`SELECT c.id, c.client_name, c.email, c.phone_number, c.nationality, c.remarks, c.status,
               count(d.id)::int AS total_deals, sum(d.deal_value)::text AS total_value, sum(d.verified_total)::text AS paid_amount,
               (SELECT to_char(max(p.payment_date), 'YYYY-MM-DD') FROM payments p JOIN deals dd ON dd.id = p.deal_id
                 WHERE dd.client_id = c.id AND p.status = 'verified') AS last_payment_date
        FROM clients c JOIN deals d ON d.client_id = c.id
        WHERE ${sql.join(dealWhere, sql` AND `)} AND c.deleted_at IS NULL ${f.status ? sql`AND c.status = ${f.status}` : sql``}
        GROUP BY c.id ORDER BY ${order}, c.client_name, c.id LIMIT ${f.limit}`,
  );
}
