// `prs seed-demo-data` at a tiny scale: whole organisations whose codes, derived columns,
// invoices and decisions agree with each other, and which the application then continues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, seedDemoData, type SeedSummary } from '../../src/demo/seed-demo-data.ts';
import { seedDemoIfEmpty } from '../../src/demo/seed.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

const SCALE = { orgs: 2, users: 5, clients: 10, deals: 30, paymentsPerDeal: 2 };

describe('seed-demo-data', () => {
  let t: TestApp;
  let summary: SeedSummary;
  const query = <T>(q: ReturnType<typeof sql>) => t.db.system((tx) => rows<T>(tx, q));

  beforeAll(async () => {
    t = await createTestApp();
    summary = await seedDemoData(t.db, { ...SCALE, seed: 7 });
  });
  afterAll(() => t.close());

  it('creates whole organisations with the requested numbers of rows', async () => {
    expect(summary.organizations.map((o) => o.name)).toEqual(['Scale Demo 1', 'Scale Demo 2']);
    expect(summary.rows).toMatchObject({ organizations: 2, roles: 12, users: 10, memberships: 10, clients: 20, deals: 60, payments: 120, invoices: 120 });
    const counts = await countRows(t.db);
    expect(counts).toMatchObject({ organizations: 2, users: 10, memberships: 10, clients: 20, deals: 60, payments: 120, invoices: 120 });
    const perOrg = await query<{ name: string; roles: number; deals: number; payments: number }>(sql`
      SELECT o.name, (SELECT count(*)::int FROM roles r WHERE r.organization_id = o.id) AS roles,
             (SELECT count(*)::int FROM deals d WHERE d.organization_id = o.id) AS deals,
             (SELECT count(*)::int FROM payments p WHERE p.organization_id = o.id) AS payments
      FROM organizations o ORDER BY o.name`);
    expect(perOrg).toEqual([
      { name: 'Scale Demo 1', roles: 6, deals: 30, payments: 60 },
      { name: 'Scale Demo 2', roles: 6, deals: 30, payments: 60 },
    ]);
  });

  it('gives each organisation one owner (its first Org Admin) and keeps targets on the memberships', async () => {
    const members = await query<{ organization_id: string; role: string; membership_role: string; first_admin: boolean; target: string; user_target: string; accepted: boolean }>(sql`
      SELECT m.organization_id, r.name AS role, m.membership_role, m.sales_target::text AS target, u.sales_target::text AS user_target,
             m.accepted_at IS NOT NULL AND m.status = 'active' AS accepted,
             m.user_id = (SELECT m2.user_id FROM memberships m2 JOIN roles r2 ON r2.id = m2.role_id
                           WHERE m2.organization_id = m.organization_id AND r2.name = 'Org Admin' ORDER BY m2.user_id LIMIT 1) AS first_admin
      FROM memberships m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id`);
    expect(members).toHaveLength(10);
    for (const m of members) {
      expect(m.membership_role, JSON.stringify(m)).toBe(m.first_admin ? 'owner' : m.role === 'Org Admin' ? 'admin' : 'member');
      expect(m.accepted).toBe(true);
      // users.sales_target is a dead column: the target is the organisation's.
      expect(m.user_target).toBe('0.00');
      if (m.role === 'Salesperson') expect(Number(m.target)).toBeGreaterThan(0);
    }
    const owners = members.filter((m) => m.membership_role === 'owner').map((m) => m.organization_id);
    expect(owners.sort()).toEqual(summary.organizations.map((o) => String(o.id)).sort());
  });

  it('numbers deals, payments and invoices without gaps per organisation and sets the counters', async () => {
    const codes = await query<{ organization_id: string; deals: string[]; payments: string[]; invoices: string[] }>(sql`
      SELECT o.id AS organization_id,
             (SELECT array_agg(deal_code ORDER BY deal_code) FROM deals d WHERE d.organization_id = o.id) AS deals,
             (SELECT array_agg(transaction_id ORDER BY transaction_id) FROM payments p WHERE p.organization_id = o.id) AS payments,
             (SELECT array_agg(invoice_code ORDER BY invoice_code) FROM invoices i WHERE i.organization_id = o.id) AS invoices
      FROM organizations o`);
    const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}`);
    for (const org of codes) {
      expect(org.deals).toEqual(numbered('DLID', 30));
      expect(org.payments).toEqual(numbered('TXN-', 60));
      expect(org.invoices).toEqual(numbered('INV-', 60));
    }
    const sequences = await query<{ name: string; last_value: string }>(sql`SELECT name, last_value::text FROM code_sequences ORDER BY organization_id, name`);
    expect(sequences.map((s) => `${s.name}=${s.last_value}`)).toEqual(['deal=30', 'invoice=60', 'payment=60', 'deal=30', 'invoice=60', 'payment=60']);
  });

  it('keeps deals consistent with their payments, and invoices and decisions with the payments', async () => {
    const [deals] = await query<{ mismatched: number }>(sql`
      SELECT count(*)::int AS mismatched FROM deals d
      JOIN LATERAL (
        SELECT COALESCE(sum(p.verified_amount) FILTER (WHERE p.status = 'verified'), 0) AS verified_total, count(*)::int AS payment_count,
               count(*) FILTER (WHERE p.status = 'verified') AS verified, count(*) FILTER (WHERE p.status = 'rejected') AS rejected,
               max(p.created_at) AS newest
        FROM payments p WHERE p.deal_id = d.id) m ON true
      WHERE d.verified_total <> m.verified_total OR d.payment_count <> m.payment_count OR d.last_payment_at IS DISTINCT FROM m.newest
         OR d.payment_status <> CASE WHEN m.verified_total >= d.deal_value THEN 'full_payment' WHEN m.verified_total > 0 THEN 'partial_payment' ELSE d.declared_payment_status END
         OR d.verification_status <> CASE WHEN m.verified > 0 THEN 'verified' WHEN m.payment_count > 0 AND m.rejected = m.payment_count THEN 'rejected' ELSE 'pending' END`);
    expect(deals!.mismatched).toBe(0);

    const [payments] = await query<{ bad: number; over: number; statuses: string[] }>(sql`
      SELECT count(*) FILTER (WHERE
               (p.status = 'verified' AND (p.verified_amount IS DISTINCT FROM p.received_amount OR p.verified_by IS NULL OR p.verified_at IS NULL))
            OR (p.status = 'rejected' AND (p.verified_amount IS NOT NULL OR p.verified_by IS NULL))
            OR (p.status = 'pending' AND (p.verified_amount IS NOT NULL OR p.verified_by IS NOT NULL OR p.verified_at IS NOT NULL))
            OR p.verified_by = p.created_by
            OR i.status <> CASE p.status WHEN 'verified' THEN 'paid' WHEN 'rejected' THEN 'rejected' ELSE 'pending' END
            OR i.amount <> p.received_amount OR i.currency <> d.currency OR p.payment_date < d.deal_date OR p.payment_date > CURRENT_DATE)::int AS bad,
             (SELECT count(*)::int FROM deals x WHERE (SELECT sum(received_amount) FROM payments y WHERE y.deal_id = x.id) > x.deal_value) AS over,
             array_agg(DISTINCT p.status ORDER BY p.status) AS statuses
      FROM payments p JOIN invoices i ON i.payment_id = p.id JOIN deals d ON d.id = p.deal_id`);
    expect(payments!.bad).toBe(0);
    expect(payments!.over).toBe(0);
    expect(payments!.statuses).toContain('verified');

    const [decisions] = await query<{ missing: number }>(sql`
      SELECT count(*)::int AS missing FROM payments p
      WHERE (p.status <> 'pending' OR p.info_requested) AND NOT EXISTS (SELECT 1 FROM payment_approvals a WHERE a.payment_id = p.id)`);
    expect(decisions!.missing).toBe(0);
  });

  it('takes ids from the tables\' identity sequences and links rows within their organisation', async () => {
    // Explicit ids were reserved with nextval: none lies beyond its sequence, so the
    // application's next rows cannot collide with them.
    const tables = ['organizations', 'users', 'teams', 'clients', 'deals', 'payments', 'invoices', 'payment_approvals'];
    const beyond = await query<{ table_name: string; max_id: string | null; last_value: string | null }>(sql.raw(
      tables
        .map((t) => `SELECT '${t}' AS table_name, (SELECT max(id)::text FROM ${t}) AS max_id, pg_sequence_last_value(pg_get_serial_sequence('${t}', 'id')::regclass)::text AS last_value`)
        .join(' UNION ALL '),
    ));
    for (const row of beyond) {
      expect(row.max_id, row.table_name).not.toBeNull();
      expect(BigInt(row.max_id!) <= BigInt(row.last_value!), `${row.table_name}: max id ${row.max_id}, sequence at ${row.last_value}`).toBe(true);
    }

    const [links] = await query<Record<string, number>>(sql`
      SELECT
        (SELECT count(*)::int FROM deals d JOIN clients c ON c.id = d.client_id WHERE c.organization_id <> d.organization_id) AS deal_client,
        (SELECT count(*)::int FROM deals d WHERE NOT EXISTS (
           SELECT 1 FROM memberships m WHERE m.user_id = d.created_by AND m.organization_id = d.organization_id)) AS deal_owner,
        (SELECT count(*)::int FROM payments p JOIN deals d ON d.id = p.deal_id WHERE d.organization_id <> p.organization_id) AS payment_deal,
        (SELECT count(*)::int FROM payments p WHERE p.verified_by IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM memberships m WHERE m.user_id = p.verified_by AND m.organization_id = p.organization_id)) AS payment_verifier,
        (SELECT count(*)::int FROM invoices i JOIN payments p ON p.id = i.payment_id
           WHERE i.deal_id <> p.deal_id OR i.organization_id <> p.organization_id OR substring(i.invoice_code FROM 5) <> substring(p.transaction_id FROM 5)) AS invoice_payment,
        (SELECT count(*)::int FROM payment_approvals a JOIN payments p ON p.id = a.payment_id
           WHERE a.deal_id <> p.deal_id OR a.organization_id <> p.organization_id OR a.approved_by <> COALESCE(p.verified_by, a.approved_by)) AS approval_payment,
        (SELECT count(*)::int FROM team_members tm JOIN teams t ON t.id = tm.team_id JOIN memberships m ON m.user_id = tm.user_id
           WHERE m.organization_id <> t.organization_id) AS team_member,
        (SELECT count(*)::int FROM memberships m JOIN roles r ON r.id = m.role_id WHERE r.organization_id <> m.organization_id) AS membership_role`);
    expect(links).toEqual({
      deal_client: 0, deal_owner: 0, payment_deal: 0, payment_verifier: 0, invoice_payment: 0, approval_payment: 0, team_member: 0, membership_role: 0,
    });
  });

  it('fills the dashboard aggregates for the loaded rows (the triggers are quiet while loading)', async () => {
    const [check] = await query<{ payments: number; counted: number; verified: string; summed: string; deals: number; invoices: number }>(sql`
      SELECT (SELECT count(*)::int FROM payments) AS payments, (SELECT sum(payments)::int FROM payment_totals) AS counted,
             (SELECT sum(verified_amount)::text FROM payments WHERE status = 'verified') AS verified,
             (SELECT sum(amount)::text FROM sales_monthly WHERE status = 'verified') AS summed,
             (SELECT sum(deals)::int FROM deal_totals) AS deals, (SELECT sum(invoices)::int FROM invoice_totals) AS invoices`);
    expect(check).toMatchObject({ payments: 120, counted: 120, deals: 60, invoices: 120 });
    expect(check!.summed).toBe(check!.verified);
  });

  it('is reproducible: the same seed gives the same deals', async () => {
    await seedDemoData(t.db, { ...SCALE, orgs: 1, seed: 7, prefix: 'Again', vacuum: false });
    const values = await query<{ name: string; deals: string }>(sql`
      SELECT o.name, string_agg(d.deal_code || ':' || d.deal_value || ':' || d.currency || ':' || d.deal_date, ',' ORDER BY d.deal_code) AS deals
      FROM organizations o JOIN deals d ON d.organization_id = o.id WHERE o.name IN ('Scale Demo 1', 'Again 1') GROUP BY o.name ORDER BY o.name`);
    expect(values).toHaveLength(2);
    expect(values[0]!.deals).toBe(values[1]!.deals);
  });

  it('lets the application sign in with the printed password and continue the numbering', async () => {
    const org = summary.organizations[0]!;
    const admin = org.logins.find((l) => l.role === 'Org Admin')!;
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: admin.email, password: summary.password } });
    expect(login.statusCode).toBe(200);
    const headers = { authorization: `Token ${login.json().token}` };

    const list = await t.app.inject({ method: 'GET', url: '/api/deals/?page_size=5', headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().count).toBe(30);

    const [client] = await query<{ id: string }>(sql`SELECT id FROM clients WHERE organization_id = ${org.id} ORDER BY created_at LIMIT 1`);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/deals/',
      headers,
      payload: { client_id: client!.id, deal_name: 'After the seed', deal_value: '1200.00', currency: 'USD', payment_method: 'bank' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().deal_id).toBe('DLID0031');

    const sales = org.logins.find((l) => l.role === 'Salesperson')!;
    const salesLogin = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: sales.email, password: summary.password } });
    expect(salesLogin.statusCode).toBe(200);
    const [deal] = await query<{ deal_code: string; room: string }>(sql`
      SELECT d.deal_code, (d.deal_value - COALESCE((SELECT sum(received_amount) FROM payments p WHERE p.deal_id = d.id AND p.status NOT IN ('rejected', 'refunded')), 0))::text AS room
      FROM deals d JOIN users u ON u.id = d.created_by WHERE d.organization_id = ${org.id} AND u.email = ${sales.email} ORDER BY 2 DESC LIMIT 1`);
    const payment = await t.app.inject({
      method: 'POST',
      url: `/api/deals/${deal!.deal_code}/payments/`,
      headers: { authorization: `Token ${salesLogin.json().token}` },
      payload: { payment_date: new Date().toISOString().slice(0, 10), received_amount: '0.01' },
    });
    expect(payment.statusCode).toBe(201);
    expect(payment.json().transaction_id).toBe('TXN-0061');
    expect(payment.json().invoice.invoice_id).toBe('INV-0061');
  });
});

describe('demo organisation of a fresh installation (seedDemoIfEmpty)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('makes the Org Admin the owner and gives the salesperson the target in the organisation', async () => {
    expect(await seedDemoIfEmpty(t.db, t.app.files)).not.toBeNull();
    const members = await t.db.system((tx) => rows<{ email: string; membership_role: string; target: string; user_target: string }>(tx, sql`
      SELECT u.email, m.membership_role, m.sales_target::text AS target, u.sales_target::text AS user_target
      FROM memberships m JOIN users u ON u.id = m.user_id ORDER BY u.email`));
    expect(members.filter((m) => m.membership_role === 'owner').map((m) => m.email)).toEqual(['orgadmin@demo.prs.test']);
    expect(members.filter((m) => m.membership_role !== 'member' && m.membership_role !== 'owner')).toEqual([]);
    expect(members.find((m) => m.email === 'sales@demo.prs.test')).toMatchObject({ target: '50000.00', user_target: '0.00' });
    expect(members.every((m) => m.user_target === '0.00')).toBe(true);
  });
});
