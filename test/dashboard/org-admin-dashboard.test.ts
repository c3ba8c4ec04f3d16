// The org-admin dashboard (GET /api/org_admin/dashboard/) over a fixed data set: every figure
// checked, only the caller's organisation, amounts of two currencies never added, access rules,
// and the web client's contract entry `org-admin.dashboard`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { MONTHS } from '../../src/sales/dashboard/periods.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, createSuperAdmin, insertTestUser, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

const URL = '/api/org_admin/dashboard/';
let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let quietId: string;
const get = (token?: string) => t.app.inject({ method: 'GET', url: URL, headers: token ? auth(token) : {} });

/** First day of the month before today's (UTC = the organisations' default time zone). */
function previousMonthStart(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
}

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'OA Dash Org');
  other = await createOrg(t, 'OA Dash Other');
  const sales = org.users.sales.token;
  const verify = (orgOf: TestOrg, paymentId: string, status: 'approved' | 'rejected') =>
    t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, headers: auth(orgOf.users.verifier.token), payload: { status, remarks: 'checked' } });
  const acme = await createClient(t, sales, { client_name: 'Acme' });
  // Salesperson, this month. D1 USD 1000: 600 verified (referral). D2 NPR 50000: 20000 verified.
  // D3 USD 500: 200 pending, 100 rejected (still awaiting verification). D4 USD 300: all rejected.
  const d1 = await createDeal(t, sales, acme.id, { deal_value: '1000.00', payments: [{ payment_date: today(), received_amount: '600.00' }] });
  const d2 = await createDeal(t, sales, acme.id, { deal_value: '50000.00', currency: 'NPR', payments: [{ payment_date: today(), received_amount: '20000.00' }] });
  const d3 = await createDeal(t, sales, acme.id, { deal_value: '500.00', payments: [{ payment_date: today(), received_amount: '200.00' }, { payment_date: today(), received_amount: '100.00' }] });
  const d4 = await createDeal(t, sales, acme.id, { deal_value: '300.00', payments: [{ payment_date: today(), received_amount: '300.00' }] });
  // Salesperson, last month: D6 USD 800, 400 verified on its first day (the like-for-like base).
  const first = previousMonthStart();
  const d6 = await createDeal(t, sales, acme.id, { deal_value: '800.00', deal_date: first, payments: [{ payment_date: first, received_amount: '400.00' }] });
  await verify(org, d1.payments[0]!.id, 'approved');
  await verify(org, d2.payments[0]!.id, 'approved');
  await verify(org, d3.payments[1]!.id, 'rejected');
  await verify(org, d4.payments[0]!.id, 'rejected');
  await verify(org, d6.payments[0]!.id, 'approved');
  await t.app.inject({ method: 'POST', url: '/api/auth/user/set-sales-target/', headers: auth(sales), payload: { sales_target: '5000' } });
  // A salesperson who never signed in and sold nothing.
  quietId = (await insertTestUser(t, { orgId: org.id, roleId: org.roles.get(ROLE_NAMES.salesperson)!, firstName: 'Quiet' })).id;
  // Security events: one high this week counts; low, old and foreign ones do not.
  await t.db.system((tx) =>
    tx.execute(sql`INSERT INTO security_events (organization_id, event_type, severity, created_at) VALUES
      (${org.id}, 'account_locked', 'high', now() - interval '1 day'), (${org.id}, 'login_failed', 'low', now()),
      (${org.id}, 'refresh_token_reuse', 'critical', now() - interval '8 days'), (${other.id}, 'account_locked', 'high', now())`),
  );
  // Another organisation's verified USD money must not appear anywhere.
  const foreignClient = await createClient(t, other.users.sales.token);
  const foreign = await createDeal(t, other.users.sales.token, foreignClient.id, { deal_value: '99999.00', payments: [{ payment_date: today(), received_amount: '99999.00' }] });
  await verify(other, foreign.payments[0]!.id, 'approved');
  // Team Lead, this month, last of all: D5 USD 2000 fully verified (google).
  const leadClient = await createClient(t, org.users.lead.token, { client_name: 'Lead Client' });
  const d5 = await createDeal(t, org.users.lead.token, leadClient.id, { deal_value: '2000.00', source_type: 'google', payments: [{ payment_date: today(), received_amount: '2000.00' }] });
  await verify(org, d5.payments[0]!.id, 'approved');
});
afterAll(() => t.close());

describe('org-admin dashboard', () => {
  it('overview: this month in the organisation currency, other currencies beside it, never added', async () => {
    const res = await get(org.users.admin.token);
    expect(res.statusCode).toBe(200);
    const { overview, system_status: status } = res.json();
    expect(overview).toMatchObject({
      total_revenue: 2600, currency: 'USD', active_deals: 4, team_performance: 12, conversion_rate: 66.7,
      monthly_growth: 550, total_users: 7, pending_approvals: 1,
    });
    expect(overview.revenue_by_currency).toEqual([{ currency: 'NPR', amount: '20000.00', count: 1 }, { currency: 'USD', amount: '2600.00', count: 2 }]);
    // One high security event this week, plus any system check not healthy on this machine.
    const warnings = [status.database, status.api_services].filter((s: string) => s === 'Warning').length + (overview.data_usage !== null && overview.data_usage >= 90 ? 1 : 0);
    expect(overview.system_alerts).toBe(1 + warnings);
    expect(typeof overview.data_usage).toBe('number');
    expect(status).toMatchObject({ api_services: 'Online', last_backup: null, emails_failed_24h: 0 });
    expect(status.database).toBe(status.database_latency_ms <= 500 ? 'Healthy' : 'Warning');
    expect(status.storage).toBe(`${overview.data_usage}% Used`);
  });

  it('team members: ranked by verified sales this month, performance against the personal target', async () => {
    const { team_members: team } = (await get(org.users.admin.token)).json();
    expect(team.map((m: { id: number }) => m.id)).toEqual([org.users.lead.id, org.users.sales.id, quietId].map(Number));
    expect(team[0]).toMatchObject({ role: ROLE_NAMES.teamLead, revenue: 2000, deals: 1, performance: 0, target: null, status: 'online', avatar: null });
    expect(team[1]).toMatchObject({ role: ROLE_NAMES.salesperson, revenue: 600, deals: 2, performance: 12, target: '5000.00', status: 'online' });
    expect(team[1].revenue_by_currency).toEqual([{ currency: 'NPR', amount: '20000.00', count: 1 }, { currency: 'USD', amount: '600.00', count: 1 }]);
    expect(team[2]).toMatchObject({ name: 'Quiet User', revenue: 0, deals: 0, status: 'offline', revenue_by_currency: [] });
  });

  it('deal pipeline: stages from the deals’ verification and payment statuses', async () => {
    const { deal_pipeline: stages } = (await get(org.users.admin.token)).json();
    expect(stages.map((s: { stage: string }) => s.stage)).toEqual(['Awaiting verification', 'Partially paid', 'Fully paid', 'Rejected']);
    expect(stages[0]).toMatchObject({ count: 1, value: 500, progress: 0 });
    // D1 60 %, D2 (NPR) 40 %, D6 50 %: the value is USD only, the NPR deal is listed beside it.
    expect(stages[1]).toMatchObject({ count: 3, value: 1800, progress: 50, currency: 'USD' });
    expect(stages[1].by_currency).toEqual([{ currency: 'NPR', amount: '50000.00', count: 1 }, { currency: 'USD', amount: '1800.00', count: 2 }]);
    expect(stages[2]).toMatchObject({ count: 1, value: 2000, progress: 100 });
    expect(stages[3]).toMatchObject({ count: 1, value: 300, progress: 0 });
  });

  it('analytics: six months of revenue, revenue by deal source, insights', async () => {
    const { analytics } = (await get(org.users.admin.token)).json();
    const now = new Date();
    expect(analytics.monthly_performance).toHaveLength(6);
    expect(analytics.monthly_performance.at(-1)).toMatchObject({ month: MONTHS[now.getUTCMonth()], value: 2600, amount: '2600.00' });
    expect(analytics.monthly_performance.at(-2)).toMatchObject({ month: MONTHS[(now.getUTCMonth() + 11) % 12], value: 400 });
    expect(analytics.revenue_distribution).toEqual([
      { category: 'Google', source_type: 'google', percentage: 76.9, amount: '2000.00' },
      { category: 'Referral', source_type: 'referral', percentage: 23.1, amount: '600.00' },
    ]);
    expect(analytics.insights).toEqual({ revenue_growth: '+550.0%', new_deals: 5, team_efficiency: '12.0%' });
  });

  it('recent activities: the newest audit entries of the organisation, for holders of audit:view', async () => {
    const { recent_activities: list } = (await get(org.users.admin.token)).json();
    expect(list).toHaveLength(10);
    // The last change (verifying D5's payment) wrote the payment's entry and its commission accrual.
    const verified = list.find((a: { entity: string }) => a.entity === 'payment');
    expect(verified).toMatchObject({ type: 'revenue', action: 'Payment verified', status: 'success', time: 'just now', user: 'Test User', avatar: null });
    expect(verified.details).toMatch(/^Payment TXN-\d+ · status pending → verified$/);
    expect(list.find((a: { entity: string }) => a.entity === 'commission_accrual')).toMatchObject({ action: 'Commission created', details: expect.stringMatching(/^Commission TXN-\d+ · 2000(\.00)? USD$/) });
    expect(new Set(list.slice(0, 2).map((a: { entity: string }) => a.entity))).toEqual(new Set(['payment', 'commission_accrual']));
    const ids: string[] = list.map((a: { id: string }) => a.id);
    const own = await t.db.system((tx) => rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM audit_log WHERE organization_id = ${org.id} AND id = ANY(${sql.param(ids)}::bigint[])`));
    expect(own[0]!.n).toBe(10);
    // A supervisor sees the figures (analytics:view) but not the audit trail.
    const supervisor = (await get(org.users.supervisor.token)).json();
    expect(supervisor.overview.total_revenue).toBe(2600);
    expect(supervisor.recent_activities).toEqual([]);
  });

  it('counts only the caller’s organisation', async () => {
    const body = (await get(other.users.admin.token)).json();
    expect(body.overview).toMatchObject({ total_revenue: 99999, total_users: 6, pending_approvals: 0, active_deals: 0, conversion_rate: 100 });
    expect(body.overview.system_alerts).toBeGreaterThanOrEqual(1);
    expect(body.team_members.map((m: { revenue: number }) => m.revenue)).toEqual([99999, 0]);
    expect(body.deal_pipeline.map((s: { count: number }) => s.count)).toEqual([0, 0, 1, 0]);
  });

  it('access: 401 without a token, 403 without analytics:view, 404 for a Super Admin without organisation', async () => {
    expect((await get()).statusCode).toBe(401);
    expect((await get(org.users.sales.token)).statusCode).toBe(403);
    expect((await get(org.users.member.token)).statusCode).toBe(403);
    const root = await createSuperAdmin(t);
    expect((await get(root.token)).statusCode).toBe(404);
  });

  it('answers the contract entry org-admin.dashboard with every field the client reads', async () => {
    const entry = contractEntry('org-admin.dashboard');
    const res = await t.app.inject(clientRequest(entry, { token: org.users.admin.token }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    // Non-empty lists, so the element fields are really checked.
    for (const list of [body.team_members, body.deal_pipeline, body.analytics.monthly_performance, body.analytics.revenue_distribution, body.recent_activities]) {
      expect(list.length).toBeGreaterThan(0);
    }
    expect(missingFields(entry, body)).toEqual([]);
  });
});
