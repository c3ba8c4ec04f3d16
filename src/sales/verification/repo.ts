// SQL of the verifier's queue. The queries are built by `queueQueries` so that the benchmark's
// baseline (bench/baseline.ts) runs the very same SQL without PRS around it.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';
import { containsPattern } from '../../core/db/like.ts';

export type QueueStatus = 'pending' | 'requires_info' | 'verified' | 'rejected' | 'all';
export type Priority = 'high' | 'medium' | 'low';

export interface QueueFilters {
  orgId: string;
  /** Default: everything waiting for a decision (including payments returned for information). */
  status?: QueueStatus | undefined;
  priority?: Priority | undefined;
  search?: string | undefined;
}

export interface QueueRow {
  id: string;
  transaction_id: string;
  deal: string;
  deal_id: string;
  deal_name: string;
  client_name: string;
  received_amount: string;
  currency: string;
  payment_date: string;
  payment_method: string;
  status: string;
  info_requested: boolean;
  priority: Priority;
  waiting_hours: number;
  submitted_by: string;
  submitted_by_name: string;
  receipt_key: string | null;
  created_at: string;
}

const WAITED_72H = sql`p.created_at < now() - interval '72 hours'`;
const RECENT_72H = sql`p.created_at >= now() - interval '72 hours'`;
const WAITED_24H = sql`p.created_at < now() - interval '24 hours'`;
const RECENT_24H = sql`p.created_at >= now() - interval '24 hours'`;
const OVERDUE = sql`(d.due_date IS NOT NULL AND d.due_date < CURRENT_DATE)`;
const NOT_OVERDUE = sql`(d.due_date IS NULL OR d.due_date >= CURRENT_DATE)`;

interface Slice {
  priority: Priority;
  rank: number;
  /** Whether the condition reads the deal (its due date). */
  readsDeal: boolean;
  cond: SQL;
}

/**
 * Priority: waiting over three days or past the deal's due date is high, over a day medium, else
 * low; the queue is ordered by priority, then oldest first. The four slices below are that rule,
 * cut so that each slice holds one priority and can be read oldest first straight from an index
 * (waiting payments: the partial index of 0013_queue_pending.sql, in page order; other statuses:
 * (organization_id, status, created_at)): a page then needs the first offset + limit payments
 * of each slice instead of the priority of every waiting payment, and only the recent slices
 * (the last three days) look at deals. They are disjoint and together hold every payment.
 */
const SLICES: readonly Slice[] = [
  { priority: 'high', rank: 0, readsDeal: false, cond: WAITED_72H },
  { priority: 'high', rank: 0, readsDeal: true, cond: sql`${RECENT_72H} AND ${OVERDUE}` },
  { priority: 'medium', rank: 1, readsDeal: true, cond: sql`${RECENT_72H} AND ${WAITED_24H} AND ${NOT_OVERDUE}` },
  { priority: 'low', rank: 2, readsDeal: true, cond: sql`${RECENT_24H} AND ${NOT_OVERDUE}` },
];

function statusConds(status: QueueStatus | undefined): SQL[] {
  // Literals, not parameters: the queries run as prepared statements, and one generic plan for
  // every status would fit 'verified' (most payments) and 'rejected' (few) alike badly.
  if (status === 'verified') return [sql`p.status = 'verified'`];
  if (status === 'rejected') return [sql`p.status = 'rejected'`];
  if (status === 'all') return [];
  if (status === 'requires_info') return [sql`p.status = 'pending'`, sql`p.info_requested`];
  if (status === 'pending') return [sql`p.status = 'pending'`, sql`NOT p.info_requested`];
  return [sql`p.status = 'pending'`];
}

/**
 * FROM and WHERE of the queue's payments that also meet `cond`. Deals and clients are joined only
 * when something reads them: the client's name only for the search, the deal for the search or
 * the due date. Neither join can drop a payment (its deal is NOT NULL and in its organisation,
 * as is the deal's client), so the count does not need them.
 */
function queueFrom(f: QueueFilters, cond: SQL, readsDeal: boolean): SQL {
  const like = f.search ? containsPattern(f.search) : undefined;
  const joinDeal = readsDeal || like !== undefined;
  const where = [sql`p.organization_id = ${f.orgId}`, ...statusConds(f.status), cond];
  // Payments of soft-deleted deals are not waiting for anyone. Without the deal joined, the few
  // deleted deals are looked up in their own small index (0010_queue.sql).
  where.push(
    joinDeal
      ? sql`d.deleted_at IS NULL`
      : sql`NOT EXISTS (SELECT 1 FROM deals gone WHERE gone.organization_id = ${f.orgId} AND gone.id = p.deal_id AND gone.deleted_at IS NOT NULL)`,
  );
  if (like) where.push(sql`(d.deal_code ILIKE ${like} OR p.transaction_id ILIKE ${like} OR c.client_name ILIKE ${like})`);
  const from = like
    ? sql`payments p JOIN deals d ON d.id = p.deal_id LEFT JOIN clients c ON c.id = d.client_id`
    : joinDeal
      ? sql`payments p JOIN deals d ON d.id = p.deal_id`
      : sql`payments p`;
  return sql`FROM ${from} WHERE ${sql.join(where, sql` AND `)}`;
}

/** Where a page's candidates come from: a slice, or (searching) the chosen slices in one pass. */
interface Source {
  cond: SQL;
  readsDeal: boolean;
  rank: SQL;
  priority: SQL;
}

function sources(f: QueueFilters): Source[] {
  const chosen = SLICES.filter((s) => !f.priority || s.priority === f.priority);
  const rank = (s: Slice) => sql.raw(String(s.rank));
  const priority = (s: Slice) => sql.raw(`'${s.priority}'`);
  if (!f.search) return chosen.map((s) => ({ cond: s.cond, readsDeal: s.readsDeal, rank: rank(s), priority: priority(s) }));
  // A search reads the deal and client of every payment in the queue anyway; one pass that ranks
  // each row by the same slices does that once instead of once per slice.
  const which = (value: (s: Slice) => SQL) => sql`CASE ${sql.join(chosen.map((s) => sql`WHEN ${s.cond} THEN ${value(s)}`), sql` `)} END`;
  return [{ cond: sql`(${sql.join(chosen.map((s) => sql`(${s.cond})`), sql` OR `)})`, readsDeal: true, rank: which(rank), priority: which(priority) }];
}

/** The count of the filtered queue and one page of it. */
export function queueQueries(f: QueueFilters, page: { limit: number; offset: number }): { count: SQL; page: SQL } {
  const from = sources(f);
  // Without a filter on priority or text the sources add up to the whole queue, which is counted
  // in one go without looking at deals; otherwise the sources are counted as the page reads them.
  const count =
    f.priority || f.search
      ? sql`SELECT (${sql.join(
          from.map((s) => sql`(SELECT count(*) ${queueFrom(f, s.cond, s.readsDeal)})`),
          sql` + `,
        )})::int AS n`
      : sql`SELECT count(*)::int AS n ${queueFrom(f, sql`true`, false)}`;
  // Each source's first offset + limit payments in page order hold the page.
  const reach = page.offset + page.limit;
  const candidates = sql.join(
    from.map(
      (s) => sql`(SELECT p.id, p.created_at, ${s.rank} AS rank, ${s.priority}::text AS priority
        ${queueFrom(f, s.cond, s.readsDeal)} ORDER BY rank, p.created_at, p.id LIMIT ${reach})`,
    ),
    sql` UNION ALL `,
  );
  // A payment's submitter may be hidden by row-level security (a platform administrator with no
  // membership in the organisation): the payment stays in the queue with an empty name.
  const list = sql`WITH candidates AS (${candidates}),
      page AS (SELECT id, rank, priority FROM candidates ORDER BY rank, created_at, id LIMIT ${page.limit} OFFSET ${page.offset})
    SELECT p.id, p.transaction_id, d.id AS deal, d.deal_code AS deal_id, d.deal_name, COALESCE(c.client_name, '') AS client_name,
           p.received_amount::text AS received_amount, d.currency, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date,
           p.payment_method, p.status, p.info_requested, page.priority,
           floor(extract(epoch FROM now() - p.created_at) / 3600)::int AS waiting_hours, p.created_by AS submitted_by,
           COALESCE(trim(u.first_name || ' ' || u.last_name), '') AS submitted_by_name, p.receipt_key, p.created_at
    FROM page JOIN payments p ON p.id = page.id JOIN deals d ON d.id = p.deal_id
      LEFT JOIN clients c ON c.id = d.client_id LEFT JOIN users u ON u.id = p.created_by
    ORDER BY page.rank, p.created_at, p.id`;
  return { count, page: list };
}

export async function listQueue(tx: Tx, f: QueueFilters, page: { limit: number; offset: number }): Promise<{ count: number; rows: QueueRow[] }> {
  const query = queueQueries(f, page);
  const [counted] = await rows<{ n: number }>(tx, query.count);
  const list = await rows<QueueRow>(tx, query.page);
  return { count: counted?.n ?? 0, rows: list };
}
