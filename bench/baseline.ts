// The benchmark's baseline: a bare node:http server that runs the same SQL as PRS's read routes
// through node-postgres, with no authentication, validation, tenant transaction, row-level
// security (it connects as the owner) or framework, and writes the rows as JSON. PRS ÷ this is
// the cost of everything PRS adds around the queries. For create payment it runs the write
// floor (floor.sql): the rows PRS writes for a payment, in one function call.
//
// The SQL is not copied: it comes from the builders PRS itself runs (src/sales/deals/repo.ts,
// src/sales/verification/repo.ts), rendered to text and parameters by Drizzle's PostgreSQL
// dialect as PRS's driver does. The organisation is a query parameter (`org`) and stays an
// explicit condition of every query, as in PRS, where row-level security only adds to it.
//
//   BASELINE_PORT=… DATABASE_URL=… node --import tsx bench/baseline.ts
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { groupByDeal } from '../src/sales/deals/present.ts';
import {
  activityOfDealsQuery,
  clientDealTotalsQuery,
  dealListQueries,
  findDealQuery,
  paymentsOfDealsQuery,
  type ActivityRow,
  type DealRow,
  type PaymentRow,
} from '../src/sales/deals/repo.ts';
import { queueQueries } from '../src/sales/verification/repo.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BASELINE_POOL_SIZE ?? 10) });
pool.on('error', () => undefined);
const dialect = new PgDialect();
// Named like PRS's driver names them, so that the baseline, too, plans each text once per
// connection: the ratio compares the layers around the SQL, not the planning.
const names = new Map<string, string>();

async function q<T extends pg.QueryResultRow>(query: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  let name = names.get(text);
  if (!name) names.set(text, (name = `base_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`));
  return (await pool.query<T>({ name, text, values: params })).rows;
}

// What PRS's deals service builds for an Org Admin (deals:view_all) asking for
// `?verification_status=…`, newest first (src/sales/deals/service.ts).
const VISIBLE_TO_ALL = sql`true`;
const NEWEST_FIRST = sql`d.created_at DESC`;

/** Payments and the last 10 activity entries of the deals, nested like PRS does (two queries). */
async function withChildren(deals: DealRow[]) {
  const ids = deals.map((d) => d.id);
  if (!ids.length) return deals;
  const [payments, activity] = await Promise.all([q<PaymentRow>(paymentsOfDealsQuery(ids)), q<ActivityRow>(activityOfDealsQuery(ids, 10))]);
  const paymentsOf = groupByDeal(payments);
  const activityOf = groupByDeal(activity);
  return deals.map((d) => ({ ...d, payments: paymentsOf.get(d.id) ?? [], activity_logs: activityOf.get(d.id) ?? [] }));
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>) : {};
}

/** One payment through the write floor: one statement, its own transaction. */
async function recordPaymentFloor(req: IncomingMessage, url: URL, dealRef: string): Promise<unknown> {
  const body = await bodyOf(req);
  const [row] = (
    await pool.query<{ payment: string }>({
      name: 'base_floor_payment',
      text: 'SELECT bench_floor.record_payment($1, $2, $3, $4, $5, $6, $7, $8) AS payment',
      values: [url.searchParams.get('org'), url.searchParams.get('user'), req.headers['idempotency-key'], dealRef, body.payment_date, body.received_amount, body.payment_method, body.payment_remarks ?? ''],
    })
  ).rows;
  return JSON.parse(row!.payment) as unknown;
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://baseline');
  const org = url.searchParams.get('org') ?? '';
  const limit = Number(url.searchParams.get('page_size') ?? 25);
  const offset = (Number(url.searchParams.get('page') ?? 1) - 1) * limit;
  const handle = async (): Promise<unknown> => {
    if (url.pathname === '/deals/') {
      const status = url.searchParams.get('verification_status') ?? 'verified';
      const where = [sql`d.verification_status = ${status}`];
      const query = dealListQueries({ orgId: org, visible: VISIBLE_TO_ALL, where, ordering: NEWEST_FIRST, limit, offset });
      const [counted] = await q<{ n: number }>(query.count);
      const results = await withChildren(await q<DealRow>(query.page));
      return { count: counted?.n ?? 0, results };
    }
    const expand = /^\/deals\/([^/]+)\/expand\/$/.exec(url.pathname);
    if (expand) {
      const find = findDealQuery(org, decodeURIComponent(expand[1]!), VISIBLE_TO_ALL);
      const [deal] = find ? await q<DealRow>(find) : [];
      if (!deal) return null;
      const [full] = await withChildren([deal]);
      const [client] = await q(clientDealTotalsQuery(org, deal.client_id, deal.currency));
      return { ...full, client_info: client };
    }
    if (url.pathname === '/queue/') {
      const query = queueQueries({ orgId: org }, { limit, offset });
      const [counted] = await q<{ n: number }>(query.count);
      return { count: counted?.n ?? 0, results: await q(query.page) };
    }
    const payment = /^\/deals\/([^/]+)\/payments\/$/.exec(url.pathname);
    if (payment && req.method === 'POST') return recordPaymentFloor(req, url, decodeURIComponent(payment[1]!));
    if (url.pathname === '/health/') return { status: 'ok' };
    return undefined;
  };
  handle().then(
    (body) => (body === undefined ? send(res, 404, { detail: 'no route' }) : body === null ? send(res, 404, { detail: 'not found' }) : send(res, req.method === 'POST' ? 201 : 200, body)),
    (err: unknown) => send(res, 500, { detail: (err as Error).message }),
  );
});

// The write floor's function, (re)created at every start: the database may be reused.
await pool.query(readFileSync(new URL('./floor.sql', import.meta.url), 'utf8'));
server.listen(Number(process.env.BASELINE_PORT ?? 8100), '127.0.0.1', () => process.stdout.write('baseline ready\n'));
const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
