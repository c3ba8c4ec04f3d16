// The benchmark's baseline: a bare node:http server that runs the same SQL as PRS's read routes
// through node-postgres, with no authentication, validation, tenant transaction, row-level
// security (it connects as the owner) or framework, and writes the rows as JSON. PRS ÷ this is
// the cost of everything PRS adds around the queries.
//
// The SQL is copied from src/modules/deals/repo.ts (DEAL_SELECT, PAYMENT_SELECT, the page and
// activity queries) and src/modules/verification/routes.ts (the queue); keep them in step.
//
//   BASELINE_PORT=… DATABASE_URL=… node --import tsx bench/baseline.ts
import { createServer, type ServerResponse } from 'node:http';
import pg from 'pg';

const DEAL_SELECT = `
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

const PAYMENT_SELECT = `
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

const ACTIVITY = `
  SELECT * FROM (
    SELECT a.id, a.deal_id, a.action, a.description, a.user_id, trim(u.first_name || ' ' || u.last_name) AS user_name,
           u.first_name AS user_first_name, u.email AS user_email, a.created_at,
           row_number() OVER (PARTITION BY a.deal_id ORDER BY a.created_at DESC, a.id DESC) AS rn
    FROM activity_logs a LEFT JOIN users u ON u.id = a.user_id
    WHERE a.deal_id = ANY($1::uuid[])) x
  WHERE x.rn <= $2 ORDER BY x.created_at DESC, x.id DESC`;

const LIST_WHERE = `d.organization_id = $1 AND d.deleted_at IS NULL AND true AND d.verification_status = $2`;
const DEAL_COUNT = `SELECT count(*)::int AS n FROM deals d LEFT JOIN clients c ON c.id = d.client_id WHERE ${LIST_WHERE}`;
const DEAL_PAGE = `WITH page AS (SELECT d.id FROM deals d LEFT JOIN clients c ON c.id = d.client_id WHERE ${LIST_WHERE}
    ORDER BY d.created_at DESC, d.id DESC LIMIT $3 OFFSET $4)
  ${DEAL_SELECT} JOIN page ON page.id = d.id ORDER BY d.created_at DESC, d.id DESC`;
const DEAL_ONE = `${DEAL_SELECT} WHERE d.organization_id = $1 AND d.deleted_at IS NULL AND d.deal_code = $2 AND true`;
const PAYMENTS_OF = `${PAYMENT_SELECT} WHERE p.deal_id = ANY($1::uuid[]) ORDER BY p.created_at, p.id`;
const CLIENT_TOTALS = `SELECT count(*)::int AS total_deals, COALESCE(sum(deal_value) FILTER (WHERE currency = $3), 0)::text AS total_value
  FROM deals WHERE organization_id = $1 AND client_id = $2 AND deleted_at IS NULL`;

const PRIORITY = `CASE WHEN now() - p.created_at > interval '72 hours' OR (d.due_date IS NOT NULL AND d.due_date < CURRENT_DATE) THEN 'high'
  WHEN now() - p.created_at > interval '24 hours' THEN 'medium' ELSE 'low' END`;
const QUEUE_FROM = `FROM payments p JOIN deals d ON d.id = p.deal_id JOIN clients c ON c.id = d.client_id JOIN users u ON u.id = p.created_by
  WHERE p.organization_id = $1 AND d.deleted_at IS NULL AND p.status = 'pending'`;
const QUEUE_COUNT = `SELECT count(*)::int AS n ${QUEUE_FROM}`;
const QUEUE_PAGE = `SELECT p.id, p.transaction_id, d.id AS deal, d.deal_code AS deal_id, d.deal_name, c.client_name, p.received_amount::text AS received_amount,
         d.currency, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date, p.payment_method, p.status, p.info_requested,
         ${PRIORITY} AS priority, floor(extract(epoch FROM now() - p.created_at) / 3600)::int AS waiting_hours,
         p.created_by AS submitted_by, trim(u.first_name || ' ' || u.last_name) AS submitted_by_name, p.receipt_key, p.created_at
  ${QUEUE_FROM}
  ORDER BY CASE ${PRIORITY} WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, p.created_at, p.id
  LIMIT $2 OFFSET $3`;

type Row = Record<string, unknown>;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BASELINE_POOL_SIZE ?? 10) });
pool.on('error', () => undefined);
const q = async (text: string, values: unknown[]): Promise<Row[]> => (await pool.query(text, values)).rows as Row[];

/** Payments and the last 10 activity entries of the deals, nested like PRS does (two queries). */
async function withChildren(deals: Row[]): Promise<Row[]> {
  const ids = deals.map((d) => d.id);
  if (!ids.length) return deals;
  const [payments, activity] = await Promise.all([q(PAYMENTS_OF, [ids]), q(ACTIVITY, [ids, 10])]);
  return deals.map((d) => ({ ...d, payments: payments.filter((p) => p.deal_id === d.id), activity_logs: activity.filter((a) => a.deal_id === d.id) }));
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://baseline');
  const org = url.searchParams.get('org') ?? '';
  const pageSize = Number(url.searchParams.get('page_size') ?? 25);
  const page = Number(url.searchParams.get('page') ?? 1);
  const handle = async (): Promise<unknown> => {
    if (url.pathname === '/deals/') {
      const status = url.searchParams.get('verification_status') ?? 'verified';
      const [counted] = await q(DEAL_COUNT, [org, status]);
      const results = await withChildren(await q(DEAL_PAGE, [org, status, pageSize, (page - 1) * pageSize]));
      return { count: counted?.n ?? 0, results };
    }
    const expand = /^\/deals\/([^/]+)\/expand\/$/.exec(url.pathname);
    if (expand) {
      const [deal] = await q(DEAL_ONE, [org, decodeURIComponent(expand[1]!)]);
      if (!deal) return null;
      const [full] = await withChildren([deal]);
      const [client] = await q(CLIENT_TOTALS, [org, deal.client_id, deal.currency]);
      return { ...full, client_info: client };
    }
    if (url.pathname === '/queue/') {
      const [counted] = await q(QUEUE_COUNT, [org]);
      return { count: counted?.n ?? 0, results: await q(QUEUE_PAGE, [org, pageSize, (page - 1) * pageSize]) };
    }
    if (url.pathname === '/health/') return { status: 'ok' };
    return undefined;
  };
  handle().then(
    (body) => (body === undefined ? send(res, 404, { detail: 'no route' }) : body === null ? send(res, 404, { detail: 'not found' }) : send(res, 200, body)),
    (err: unknown) => send(res, 500, { detail: (err as Error).message }),
  );
});

server.listen(Number(process.env.BASELINE_PORT ?? 8100), '127.0.0.1', () => process.stdout.write('baseline ready\n'));
const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
