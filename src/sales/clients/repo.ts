// SQL for clients and their activity feed. Every statement names the organisation explicitly;
// row-level security is the second line of defence.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';

export interface CurrencyTotal {
  currency: string;
  total_value: string;
  total_deals: number;
}

export interface ClientRow {
  id: string;
  organization_id: string;
  client_name: string;
  email: string;
  phone_number: string;
  nationality: string;
  address: string;
  remarks: string;
  satisfaction: string | null;
  status: string;
  client_type: string;
  company_name: string;
  website: string;
  tax_id: string;
  contact_person: string;
  created_by: string;
  creator_first_name: string | null;
  creator_last_name: string | null;
  creator_email: string | null;
  updated_by: string | null;
  created_at: string | Date;
  updated_at: string | Date;
  total_deals: number;
  total_value: string | null;
  currency: string | null;
  payment_status: string | null;
  due_date: string | null;
  totals_by_currency: CurrencyTotal[] | null;
}

/**
 * The representation's columns over a set of clients `c` (already paged): the creator and the
 * figures derived from the client's live deals, per currency first and then combined, in the
 * same statement (one lateral subquery per client of the page, never one query per client).
 */
function withDerived(source: SQL, ordering: SQL): SQL {
  return sql`SELECT c.id, c.organization_id, c.client_name, c.email, c.phone_number, c.nationality, c.address, c.remarks,
      c.satisfaction, c.status, c.client_type, c.company_name, c.website, c.tax_id, c.contact_person, c.created_by,
      u.first_name AS creator_first_name, u.last_name AS creator_last_name, u.email AS creator_email,
      c.updated_by, c.created_at, c.updated_at,
      agg.total_deals, agg.total_value, agg.currency, agg.payment_status, agg.due_date, agg.totals_by_currency
    FROM (${source}) c
    LEFT JOIN users u ON u.id = c.created_by
    LEFT JOIN LATERAL (
      SELECT coalesce(sum(x.n), 0)::int AS total_deals,
        CASE WHEN count(*) = 1 THEN min(x.total)::text END AS total_value,
        CASE WHEN count(*) = 1 THEN min(x.currency) END AS currency,
        CASE WHEN count(*) = 0 THEN NULL
             WHEN bool_and(x.all_full) THEN 'full_payment'
             WHEN bool_or(x.any_paid) THEN 'partial_payment'
             ELSE 'initial payment' END AS payment_status,
        to_char(min(x.next_due), 'YYYY-MM-DD') AS due_date,
        coalesce(json_agg(json_build_object('currency', x.currency, 'total_value', x.total::text, 'total_deals', x.n)
          ORDER BY x.currency), '[]'::json) AS totals_by_currency
      FROM (
        SELECT d.currency::text AS currency, count(*)::int AS n, sum(d.deal_value) AS total,
          bool_and(d.payment_status = 'full_payment') AS all_full,
          bool_or(d.payment_status IN ('partial_payment', 'full_payment')) AS any_paid,
          min(d.due_date) FILTER (WHERE d.payment_status <> 'full_payment') AS next_due
        FROM deals d
        WHERE d.organization_id = c.organization_id AND d.client_id = c.id AND d.deleted_at IS NULL
        GROUP BY d.currency
      ) x
    ) agg ON true
    ORDER BY ${ordering}, c.id`;
}

export interface ClientQuery {
  orgId: string;
  /** Visibility and filters, over `c` (clients). */
  conditions: SQL[];
  ordering: SQL;
  limit: number;
  offset: number;
}

export async function listClients(tx: Tx, q: ClientQuery): Promise<{ count: number; rows: ClientRow[] }> {
  const where = sql.join([sql`c.organization_id = ${q.orgId}`, sql`c.deleted_at IS NULL`, ...q.conditions], sql` AND `);
  const [counted] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM clients c WHERE ${where}`);
  // The page is chosen first, so deep pages never aggregate the deals of skipped clients.
  const page = sql`SELECT c.* FROM clients c WHERE ${where} ORDER BY ${q.ordering}, c.id LIMIT ${q.limit} OFFSET ${q.offset}`;
  return { count: counted?.n ?? 0, rows: await rows<ClientRow>(tx, withDerived(page, q.ordering)) };
}

export async function findClient(tx: Tx, orgId: string, id: string, visibility: SQL): Promise<ClientRow | undefined> {
  const one = sql`SELECT c.* FROM clients c WHERE c.organization_id = ${orgId} AND c.id = ${id} AND c.deleted_at IS NULL AND ${visibility}`;
  const [row] = await rows<ClientRow>(tx, withDerived(one, sql`c.client_name`));
  return row;
}

export async function emailTaken(tx: Tx, orgId: string, email: string, exceptId?: string): Promise<boolean> {
  const found = await rows(
    tx,
    sql`SELECT 1 FROM clients WHERE organization_id = ${orgId} AND email = ${email} AND deleted_at IS NULL
      AND id <> ${exceptId ?? '0'}`,
  );
  return found.length > 0;
}

/** Writable columns (the allow-list of inserts and updates). */
export interface ClientValues {
  client_name?: string | undefined;
  email?: string | undefined;
  phone_number?: string | undefined;
  nationality?: string | undefined;
  address?: string | undefined;
  remarks?: string | undefined;
  satisfaction?: string | null | undefined;
  status?: string | undefined;
  client_type?: string | undefined;
  company_name?: string | undefined;
  website?: string | undefined;
  tax_id?: string | undefined;
  contact_person?: string | undefined;
}

const COLUMNS: (keyof ClientValues)[] = [
  'client_name', 'email', 'phone_number', 'nationality', 'address', 'remarks', 'satisfaction', 'status', 'client_type',
  'company_name', 'website', 'tax_id', 'contact_person',
];

export async function insertClient(tx: Tx, orgId: string, userId: string, values: ClientValues): Promise<string> {
  const present = COLUMNS.filter((k) => values[k] !== undefined);
  const names = [sql`organization_id`, sql`created_by`, ...present.map((k) => sql.identifier(k))];
  const params = [sql`${orgId}`, sql`${userId}`, ...present.map((k) => sql`${values[k]}`)];
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO clients (${sql.join(names, sql`, `)}) VALUES (${sql.join(params, sql`, `)}) RETURNING id`,
  );
  return row!.id;
}

export async function updateClient(tx: Tx, orgId: string, id: string, userId: string, values: ClientValues): Promise<void> {
  const sets = COLUMNS.filter((k) => values[k] !== undefined).map((k) => sql`${sql.identifier(k)} = ${values[k]}`);
  await tx.execute(
    sql`UPDATE clients SET ${sql.join([...sets, sql`updated_by = ${userId}`], sql`, `)}
      WHERE organization_id = ${orgId} AND id = ${id} AND deleted_at IS NULL`,
  );
}

export async function softDeleteClient(tx: Tx, orgId: string, id: string, userId: string): Promise<void> {
  await tx.execute(
    sql`UPDATE clients SET deleted_at = now(), updated_by = ${userId} WHERE organization_id = ${orgId} AND id = ${id} AND deleted_at IS NULL`,
  );
}

export async function countLiveDeals(tx: Tx, orgId: string, clientId: string): Promise<number> {
  const [row] = await rows<{ n: number }>(
    tx,
    sql`SELECT count(*)::int AS n FROM deals WHERE organization_id = ${orgId} AND client_id = ${clientId} AND deleted_at IS NULL`,
  );
  return row?.n ?? 0;
}

export interface ActivityRow {
  id: string;
  action: string;
  description: string;
  created_at: string | Date;
  user_id: string | null;
  user_first_name: string | null;
  user_last_name: string | null;
  user_email: string | null;
}

export async function listActivities(tx: Tx, orgId: string, clientId: string, limit: number, offset: number): Promise<ActivityRow[]> {
  return rows<ActivityRow>(
    tx,
    sql`SELECT a.id, a.action, a.description, a.created_at, a.user_id,
        u.first_name AS user_first_name, u.last_name AS user_last_name, u.email AS user_email
      FROM activity_logs a LEFT JOIN users u ON u.id = a.user_id
      WHERE a.organization_id = ${orgId} AND a.client_id = ${clientId}
      ORDER BY a.created_at DESC, a.id DESC LIMIT ${limit} OFFSET ${offset}`,
  );
}

export async function countActivities(tx: Tx, orgId: string, clientId: string): Promise<number> {
  const [row] = await rows<{ n: number }>(
    tx,
    sql`SELECT count(*)::int AS n FROM activity_logs WHERE organization_id = ${orgId} AND client_id = ${clientId}`,
  );
  return row?.n ?? 0;
}
