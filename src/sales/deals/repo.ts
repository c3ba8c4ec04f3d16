// SQL for deals: one query for a page of deals with client and people, then their payments and
// recent activity for the whole page in one query each (no N+1). The read queries are built by
// exported `…Query` functions so that the benchmark's baseline (bench/baseline.ts) runs the very
// same SQL without PRS around it.
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rows, sql, type Tx } from '../../core/db/database.ts';
import { isId } from '../../core/http/fields.ts';

export interface DealRow {
  id: string;
  organization_id: string;
  deal_code: string;
  client_id: string;
  client_name: string;
  client_email: string;
  client_phone: string;
  client_address: string;
  project_id: string | null;
  deal_name: string;
  deal_value: string;
  currency: string;
  deal_date: string;
  due_date: string | null;
  declared_payment_status: string;
  payment_status: string;
  payment_method: string;
  source_type: string;
  verification_status: string;
  client_status: string;
  deal_remarks: string;
  verified_total: string;
  received_total: string;
  payment_count: number;
  version: number;
  approved_by: string | null;
  approved_at: string | null;
  created_by: string;
  created_by_name: string;
  created_by_email: string;
  updated_by: string | null;
  updated_by_name: string | null;
  created_at: string;
  updated_at: string;
}

const DEAL_SELECT = sql`
  SELECT d.id, d.organization_id, d.deal_code, d.client_id, c.client_name, c.email AS client_email, c.phone_number AS client_phone,
         c.address AS client_address, d.project_id, d.deal_name, d.deal_value::text AS deal_value, d.currency,
         to_char(d.deal_date, 'YYYY-MM-DD') AS deal_date, to_char(d.due_date, 'YYYY-MM-DD') AS due_date,
         d.declared_payment_status, d.payment_status, d.payment_method, d.source_type, d.verification_status, d.client_status,
         d.deal_remarks, d.verified_total::text AS verified_total,
         (SELECT COALESCE(sum(p.received_amount), 0)::text FROM payments p WHERE p.deal_id = d.id AND p.status <> 'rejected') AS received_total,
         d.payment_count, d.version, d.approved_by, d.approved_at,
         d.created_by, trim(cu.first_name || ' ' || cu.last_name) AS created_by_name, cu.email AS created_by_email,
         d.updated_by, trim(uu.first_name || ' ' || uu.last_name) AS updated_by_name, d.created_at, d.updated_at
  FROM deals d
  JOIN clients c ON c.id = d.client_id
  JOIN users cu ON cu.id = d.created_by
  LEFT JOIN users uu ON uu.id = d.updated_by`;

/** `DLID0001` or the integer id: the web client uses both. */
export function dealRef(ref: string): SQL | undefined {
  if (isId(ref)) return sql`d.id = ${ref}`;
  if (/^[A-Za-z]{2,8}-?\d{1,12}$/.test(ref)) return sql`d.deal_code = ${ref.toUpperCase()}`;
  return undefined;
}

/** The deal `ref` names in the organisation if `visible` lets the actor see it; undefined when `ref` cannot name a deal. */
export function findDealQuery(orgId: string, ref: string, visible: SQL, forUpdate = false): SQL | undefined {
  const match = dealRef(ref);
  if (!match) return undefined;
  const lock = forUpdate ? sql` FOR UPDATE OF d` : sql``;
  return sql`${DEAL_SELECT} WHERE d.organization_id = ${orgId} AND d.deleted_at IS NULL AND ${match} AND ${visible}${lock}`;
}

export async function findDeal(tx: Tx, orgId: string, ref: string, visible: SQL, forUpdate = false): Promise<DealRow | undefined> {
  const query = findDealQuery(orgId, ref, visible, forUpdate);
  if (!query) return undefined;
  const [row] = await rows<DealRow>(tx, query);
  return row;
}

export interface DealListFilters {
  orgId: string;
  visible: SQL;
  where: SQL[];
  ordering: SQL;
  limit: number;
  offset: number;
}

const dialect = new PgDialect();

/**
 * Whether a condition reads the client (alias `c`; of the service's filters only the search does).
 * The conditions arrive as SQL fragments, so this looks at their text (microseconds).
 */
function readsClient(cond: SQL): boolean {
  return /\bc\./.test(dialect.sqlToQuery(cond).sql);
}

/** The count of the filtered deals and the page's rows (exported for the benchmark's baseline). */
export function dealListQueries(f: DealListFilters): { count: SQL; page: SQL } {
  const conds = [sql`d.organization_id = ${f.orgId}`, sql`d.deleted_at IS NULL`, f.visible, ...f.where];
  const cond = sql.join(conds, sql` AND `);
  // The client is joined only when a condition reads it. Every deal has exactly one client (NOT
  // NULL foreign key), so a LEFT JOIN changes no row and PostgreSQL removes an unused one; but
  // (in 15) the scan of deals still has to return d.client_id, which rules out the index-only
  // scans that make the count and a deep page's ids cheap (docs/performance.md).
  const from = conds.some(readsClient) ? sql`FROM deals d LEFT JOIN clients c ON c.id = d.client_id` : sql`FROM deals d`;
  return {
    count: sql`SELECT count(*)::int AS n ${from} WHERE ${cond}`,
    // The page's ids first, so deep pages do not join and aggregate the rows they skip.
    page: sql`WITH page AS (SELECT d.id ${from} WHERE ${cond} ORDER BY ${f.ordering}, d.id DESC LIMIT ${f.limit} OFFSET ${f.offset})
        ${DEAL_SELECT} JOIN page ON page.id = d.id ORDER BY ${f.ordering}, d.id DESC`,
  };
}

export async function listDeals(tx: Tx, f: DealListFilters): Promise<{ count: number; rows: DealRow[] }> {
  const query = dealListQueries(f);
  const [counted] = await rows<{ n: number }>(tx, query.count);
  const page = await rows<DealRow>(tx, query.page);
  return { count: counted?.n ?? 0, rows: page };
}

export interface PaymentRow {
  id: string;
  deal_id: string;
  deal_code: string;
  transaction_id: string;
  payment_date: string;
  received_amount: string;
  payment_method: string;
  payment_category: string;
  cheque_number: string | null;
  bank_reference: string;
  payment_remarks: string;
  receipt_key: string | null;
  status: string;
  verified_amount: string | null;
  verified_by: string | null;
  verified_by_name: string | null;
  verified_by_email: string | null;
  verified_at: string | null;
  verification_remarks: string;
  info_requested: boolean;
  version: number;
  currency: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  invoice_id: string | null;
  invoice_code: string | null;
  invoice_status: string | null;
}

export const PAYMENT_SELECT = sql`
  SELECT p.id, p.deal_id, d.deal_code, p.transaction_id, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date,
         p.received_amount::text AS received_amount, p.payment_method, p.payment_category, p.cheque_number, p.bank_reference,
         p.payment_remarks, p.receipt_key, p.status, p.verified_amount::text AS verified_amount, p.verified_by,
         trim(vu.first_name || ' ' || vu.last_name) AS verified_by_name, vu.email AS verified_by_email, p.verified_at,
         p.verification_remarks, p.info_requested, p.version, d.currency, p.created_by, p.created_at, p.updated_at,
         i.id AS invoice_id, i.invoice_code, i.status AS invoice_status
  FROM payments p
  JOIN deals d ON d.id = p.deal_id
  LEFT JOIN users vu ON vu.id = p.verified_by
  LEFT JOIN invoices i ON i.payment_id = p.id`;

/**
 * `column` is one of the deals. One deal (every detail route) is an equality rather than `= ANY`
 * of a one-element array: PostgreSQL then reuses the prepared statement's generic plan, whereas
 * for an array parameter it expects ten elements and plans each call again.
 */
function ofDeals(column: SQL, dealIds: string[]): SQL {
  return dealIds.length === 1 ? sql`${column} = ${dealIds[0]}::bigint` : sql`${column} = ANY(${sql.param(dealIds)}::bigint[])`;
}

export function paymentsOfDealsQuery(dealIds: string[]): SQL {
  return sql`${PAYMENT_SELECT} WHERE ${ofDeals(sql`p.deal_id`, dealIds)} ORDER BY p.created_at, p.id`;
}

export function paymentsOfDeals(tx: Tx, dealIds: string[]): Promise<PaymentRow[]> {
  if (!dealIds.length) return Promise.resolve([]);
  return rows<PaymentRow>(tx, paymentsOfDealsQuery(dealIds));
}

export interface ActivityRow {
  id: string;
  deal_id: string | null;
  action: string;
  description: string;
  user_id: string | null;
  user_name: string | null;
  user_first_name: string | null;
  user_email: string | null;
  created_at: string;
}

/** The newest `perDeal` activity entries of each deal. */
export function activityOfDealsQuery(dealIds: string[], perDeal: number): SQL {
  return sql`SELECT * FROM (
          SELECT a.id, a.deal_id, a.action, a.description, a.user_id, trim(u.first_name || ' ' || u.last_name) AS user_name,
                 u.first_name AS user_first_name, u.email AS user_email, a.created_at,
                 row_number() OVER (PARTITION BY a.deal_id ORDER BY a.created_at DESC, a.id DESC) AS rn
          FROM activity_logs a LEFT JOIN users u ON u.id = a.user_id
          WHERE ${ofDeals(sql`a.deal_id`, dealIds)}) x
        WHERE x.rn <= ${perDeal} ORDER BY x.created_at DESC, x.id DESC`;
}

export function activityOfDeals(tx: Tx, dealIds: string[], perDeal: number): Promise<ActivityRow[]> {
  if (!dealIds.length) return Promise.resolve([]);
  return rows<ActivityRow>(tx, activityOfDealsQuery(dealIds, perDeal));
}

/**
 * The client's deals for the expanded deal: how many, and their value in `currency`.
 * Totals per currency would be exact; the panel shows one figure, so only same-currency deals count.
 */
export function clientDealTotalsQuery(orgId: string, clientId: string, currency: string): SQL {
  return sql`SELECT count(*)::int AS total_deals, COALESCE(sum(deal_value) FILTER (WHERE currency = ${currency}), 0)::text AS total_value
    FROM deals WHERE organization_id = ${orgId} AND client_id = ${clientId} AND deleted_at IS NULL`;
}

export async function clientDealTotals(tx: Tx, orgId: string, clientId: string, currency: string): Promise<{ total_deals: number; total_value: string }> {
  const [totals] = await rows<{ total_deals: number; total_value: string }>(tx, clientDealTotalsQuery(orgId, clientId, currency));
  return totals ?? { total_deals: 0, total_value: '0' };
}

export interface NewDeal {
  orgId: string;
  code: string;
  clientId: string;
  projectId: string | null;
  dealName: string;
  dealValue: string;
  currency: string;
  dealDate: string;
  dueDate: string | null;
  paymentStatus: string;
  paymentMethod: string;
  sourceType: string;
  remarks: string;
  createdBy: string;
}

export async function insertDeal(tx: Tx, d: NewDeal): Promise<string> {
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO deals (organization_id, deal_code, client_id, project_id, deal_name, deal_value, currency, deal_date, due_date,
          declared_payment_status, payment_status, payment_method, source_type, deal_remarks, created_by, updated_by)
        VALUES (${d.orgId}, ${d.code}, ${d.clientId}, ${d.projectId}, ${d.dealName}, ${d.dealValue}, ${d.currency}, ${d.dealDate},
          ${d.dueDate}, ${d.paymentStatus}, ${d.paymentStatus}, ${d.paymentMethod}, ${d.sourceType}, ${d.remarks}, ${d.createdBy}, ${d.createdBy})
        RETURNING id`,
  );
  return row!.id;
}

/**
 * A user's edit of the deal's own fields (`edits`) moves `version`, which is the optimistic lock
 * and the web client's "Edited" mark; `decisions` (the approval) are written beside it without.
 */
export async function updateDealColumns(tx: Tx, dealId: string, edits: SQL[], updatedBy: string, decisions: SQL[] = []) {
  const bump = edits.length ? [sql`version = version + 1`] : [];
  await tx.execute(sql`UPDATE deals SET ${sql.join([...edits, ...decisions, sql`updated_by = ${updatedBy}`, ...bump], sql`, `)} WHERE id = ${dealId}`);
}

/**
 * Deal status follows the money: verified total against the value gives payment_status;
 * a verified payment (or a direct approval) makes the deal verified, and all-rejected makes it rejected.
 * As a statement, for a caller that runs it as part of a larger one (see refreshDealMoney).
 */
export function refreshDealMoneySql(dealId: string): SQL {
  // Derived figures leave `version` alone: payments and verification decisions are not edits.
  return sql`
    WITH money AS (
      SELECT COALESCE(sum(p.verified_amount) FILTER (WHERE p.status = 'verified'), 0) AS verified_total,
             count(*) AS payment_count,
             count(*) FILTER (WHERE p.status = 'verified') AS verified_count,
             count(*) FILTER (WHERE p.status = 'rejected') AS rejected_count
      FROM payments p WHERE p.deal_id = ${dealId}),
    derived AS (
      SELECT d.id, money.verified_total, money.payment_count,
             CASE WHEN money.verified_total >= d.deal_value THEN 'full_payment'
                  WHEN money.verified_total > 0 THEN 'partial_payment'
                  ELSE d.declared_payment_status END AS payment_status,
             CASE WHEN money.verified_count > 0 OR d.approved_at IS NOT NULL THEN 'verified'
                  WHEN money.payment_count > 0 AND money.rejected_count = money.payment_count THEN 'rejected'
                  ELSE 'pending' END AS verification_status
      FROM deals d, money WHERE d.id = ${dealId})
    UPDATE deals d SET
      verified_total = derived.verified_total,
      payment_count = derived.payment_count,
      payment_status = derived.payment_status,
      verification_status = derived.verification_status
    FROM derived WHERE d.id = derived.id`;
}

export async function refreshDealMoney(tx: Tx, dealId: string): Promise<void> {
  await tx.execute(refreshDealMoneySql(dealId));
}

/** The client's status follows its balance: bad debt wins, then any unpaid deal keeps it pending. */
export async function refreshClientStatus(tx: Tx, clientId: string): Promise<void> {
  await tx.execute(sql`
    UPDATE clients c SET status = CASE
      WHEN EXISTS (SELECT 1 FROM payments p JOIN deals d ON d.id = p.deal_id WHERE d.client_id = c.id AND p.status = 'bad_debt') THEN 'bad_debt'
      WHEN NOT EXISTS (SELECT 1 FROM deals d WHERE d.client_id = c.id AND d.deleted_at IS NULL AND d.verified_total < d.deal_value) THEN 'clear'
      ELSE 'pending' END
    WHERE c.id = ${clientId}`);
}
