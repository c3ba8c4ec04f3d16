// What the benchmark sends: sign-ins, the routes measured (with the baseline's twin of each
// read route), and the data they need (deal codes, deals with room for payments, a stock of
// pending payments to verify).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SeededOrganization } from '../src/demo/seed-demo-data.ts';
import type { RouteRequest } from './load.ts';

export interface Route {
  name: string;
  /** Reads get a baseline run, and create payment its write floor; other writes and optional routes do not. */
  kind: 'read' | 'write';
  prs: () => RouteRequest | undefined;
  baseline?: () => RouteRequest;
  /** Set when the route is absent from this build of PRS. */
  missing?: boolean;
}

interface Session {
  token: string;
  /** The user's id as a decimal string (a JSON integer on the wire). */
  userId: string;
}

const today = () => new Date().toISOString().slice(0, 10);
const json = (token: string) => ({ authorization: `Token ${token}`, 'content-type': 'application/json' });
const bearer = (token: string) => ({ authorization: `Token ${token}` });

async function login(url: string, email: string, password: string): Promise<Session> {
  const res = await fetch(`${url}/api/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { token?: string; user?: { id: number | string } };
  if (res.status !== 200 || !body.token || body.user?.id === undefined) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(body)}`);
  return { token: body.token, userId: String(body.user.id) };
}

function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

const RECEIPT = Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n${'% bench receipt padding\n'.repeat(60)}trailer << /Root 1 0 R >>\n%%EOF\n`);

function multipart(fields: Record<string, string>, file: { name: string; filename: string; type: string; data: Buffer }) {
  const boundary = `----prsbench${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface ScenarioInput {
  prsUrl: string;
  baselineUrl: string;
  databaseUrl: string;
  org: SeededOrganization;
  password: string;
  /** Deals created for the payment routes (spread, so that row locks rarely meet). */
  paymentDeals: number;
}

export interface Scenario {
  reads: Route[];
  writes: Route[];
  /** Built after the writes: pending payments to verify, one per request. */
  verify(): Promise<Route>;
  facts: Record<string, number | string>;
  close(): Promise<void>;
}

export async function buildScenario(input: ScenarioInput): Promise<Scenario> {
  const { prsUrl, org, password } = input;
  const email = (role: string) => org.logins.find((l) => l.role === role)?.email ?? '';
  const [admin, verifier, sales] = await Promise.all([
    login(prsUrl, email('Org Admin'), password),
    login(prsUrl, email('Verifier'), password),
    login(prsUrl, email('Salesperson'), password),
  ]);
  const db = new pg.Pool({ connectionString: input.databaseUrl, max: 2 });
  db.on('error', () => undefined);
  try {
    return await scenarioOver(input, db, { admin, verifier, sales }, email);
  } catch (err) {
    await db.end();
    throw err;
  }
}

async function scenarioOver(
  input: ScenarioInput,
  db: pg.Pool,
  { admin, verifier, sales }: Record<'admin' | 'verifier' | 'sales', Session>,
  email: (role: string) => string,
): Promise<Scenario> {
  const { prsUrl, org, password } = input;
  const one = async <T extends pg.QueryResultRow>(text: string, values: unknown[]) => (await db.query<T>(text, values)).rows;

  const codes = (await one<{ deal_code: string }>(`SELECT deal_code FROM deals WHERE organization_id = $1 ORDER BY random() LIMIT 1000`, [org.id])).map((r) => r.deal_code);
  const [verified] = await one<{ n: number }>(`SELECT count(*)::int AS n FROM deals WHERE organization_id = $1 AND verification_status = 'verified' AND deleted_at IS NULL`, [org.id]);
  const pages = Math.max(1, Math.ceil((verified?.n ?? 0) / 25));
  const deepPage = Math.max(1, Math.floor(pages * 0.8));
  const [client] = await one<{ id: string }>(`SELECT id FROM clients WHERE organization_id = $1 AND created_by = $2 LIMIT 1`, [org.id, sales.userId]);
  if (!client) throw new Error('the salesperson has no client');

  // Deals with room for many small payments, created through the API by the salesperson.
  const paymentDeals: string[] = [];
  for (let i = 0; i < input.paymentDeals; i++) {
    const res = await fetch(`${prsUrl}/api/deals/`, {
      method: 'POST',
      headers: json(sales.token),
      body: JSON.stringify({ client_id: client.id, deal_name: `Bench target ${i + 1}`, deal_value: '900000000.00', currency: 'USD', payment_method: 'bank', source_type: 'others' }),
    });
    if (res.status !== 201) throw new Error(`creating a bench deal failed: ${res.status} ${await res.text()}`);
    paymentDeals.push(((await res.json()) as { deal_id: string }).deal_id);
  }

  const get = (path: string, token: string) => (): RouteRequest => ({ method: 'GET', path, headers: bearer(token) });
  const base = (path: string) => (): RouteRequest => ({ method: 'GET', path });
  const nextCode = cycle(codes);
  const listQuery = (page: number) => `verification_status=verified&page_size=25${page > 1 ? `&page=${page}` : ''}`;

  const reads: Route[] = [
    { name: 'deals list, page 1', kind: 'read', prs: get(`/api/deals/?${listQuery(1)}`, admin.token), baseline: base(`/deals/?org=${org.id}&${listQuery(1)}`) },
    { name: `deals list, page ${deepPage}`, kind: 'read', prs: get(`/api/deals/?${listQuery(deepPage)}`, admin.token), baseline: base(`/deals/?org=${org.id}&${listQuery(deepPage)}`) },
    {
      name: 'deal detail (expand)',
      kind: 'read',
      prs: () => ({ method: 'GET', path: `/api/deals/${nextCode()}/expand/`, headers: bearer(admin.token) }),
      baseline: () => ({ method: 'GET', path: `/deals/${nextCode()}/expand/?org=${org.id}` }),
    },
    { name: 'verifier queue', kind: 'read', prs: get('/api/verifier/queue/?page_size=25', verifier.token), baseline: base(`/queue/?org=${org.id}&page_size=25`) },
  ];
  // Routes of modules that may not exist in this build: the first path that answers is used.
  const optional: [string, string[], Session][] = [
    ['sales dashboard', ['/api/dashboard/overview/', '/api/dashboard/'], sales],
    ['verifier dashboard', ['/api/verifier/dashboard/'], verifier],
    ['commission summary', ['/api/commission/summary/', '/api/dashboard/commission/'], sales],
    ['notifications list', ['/api/notifications/?page=1&limit=20'], sales],
  ];
  for (const [name, paths, who] of optional) {
    let found: string | undefined;
    for (const path of paths) {
      const res = await fetch(`${prsUrl}${path}`, { headers: bearer(who.token) });
      await res.arrayBuffer();
      if (res.status !== 404) {
        found = path;
        break;
      }
    }
    reads.push(found ? { name: `${name} (${found.split('?')[0]})`, kind: 'read', prs: get(found, who.token) } : { name, kind: 'read', prs: () => undefined, missing: true });
  }

  const runId = randomBytes(4).toString('hex');
  let key = 0;
  const nextTarget = cycle(paymentDeals);
  const forms = paymentDeals.map((code) =>
    multipart({ deal_id: code, payment_date: today(), received_amount: '2.00', payment_method: 'bank', payment_remarks: 'Bench multipart' }, { name: 'receipt_file', filename: 'receipt.pdf', type: 'application/pdf', data: RECEIPT }),
  );
  const nextForm = cycle(forms);
  const paymentBody = JSON.stringify({ payment_date: today(), received_amount: '1.00', payment_method: 'bank', payment_remarks: 'Bench payment' });
  const writes: Route[] = [
    {
      name: 'login',
      kind: 'write',
      prs: () => ({ method: 'POST', path: '/api/auth/login/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: email('Salesperson'), password }) }),
    },
    {
      name: 'create payment (JSON, Idempotency-Key)',
      kind: 'write',
      prs: () => ({ method: 'POST', path: `/api/deals/${nextTarget()}/payments/`, headers: { ...json(sales.token), 'idempotency-key': `bench-${runId}-${++key}` }, body: paymentBody }),
      // The write floor (bench/floor.sql): the same rows in one call, over the same deals.
      baseline: () => ({
        method: 'POST',
        path: `/deals/${nextTarget()}/payments/?org=${org.id}&user=${sales.userId}`,
        headers: { 'content-type': 'application/json', 'idempotency-key': `floor-${runId}-${++key}` },
        body: paymentBody,
      }),
    },
    {
      name: 'create payment (multipart receipt)',
      kind: 'write',
      prs: () => {
        const form = nextForm();
        return { method: 'POST', path: '/api/deals/payments/', headers: { ...bearer(sales.token), 'content-type': form.contentType }, body: form.body };
      },
    },
  ];

  return {
    reads,
    writes,
    async verify() {
      const stock = (
        await one<{ id: string }>(
          `SELECT id FROM payments WHERE organization_id = $1 AND status = 'pending' AND created_by <> $2 ORDER BY created_at DESC LIMIT 200000`,
          [org.id, verifier.userId],
        )
      ).map((r) => r.id);
      const body = JSON.stringify({ decision: 'approved', remarks: 'Matches the bank statement.' });
      return {
        name: `verify payment (stock ${stock.length})`,
        kind: 'write',
        prs: () => {
          const id = stock.pop();
          return id ? { method: 'POST', path: `/api/verifier/verify/${id}/`, headers: json(verifier.token), body } : undefined;
        },
      };
    },
    facts: { deep_page: deepPage, verified_deals: verified?.n ?? 0, sampled_deal_codes: codes.length, payment_target_deals: paymentDeals.length },
    close: () => db.end(),
  };
}
