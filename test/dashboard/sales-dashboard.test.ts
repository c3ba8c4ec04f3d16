// The sales dashboard over a fixed data set: values checked to the cent, only the caller's
// organisation, never a sum across currencies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
let other: TestOrg;
let acmeId: string;
let leadClientId: string;

const get = (url: string, token?: string) => t.app.inject({ method: 'GET', url, headers: token ? auth(token) : {} });
const verify = (paymentId: string, status: 'approved' | 'rejected') =>
  t.app.inject({ method: 'POST', url: `/api/verifier/verify/${paymentId}/`, headers: auth(org.users.verifier.token), payload: { status, remarks: 'checked' } });

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Dash Org');
  other = await createOrg(t, 'Dash Other');
  const sales = org.users.sales.token;
  const acme = await createClient(t, sales, { client_name: 'Acme' });
  acmeId = String(acme.id);
  const kathmandu = await createClient(t, sales, { client_name: 'Kathmandu Co' });
  // D1 USD 1000: 600 verified. D2 NPR 50000: 20000 verified. D3 USD 500: 200 pending, 100 rejected.
  const d1 = await createDeal(t, sales, acme.id, { deal_value: '1000.00', payments: [{ payment_date: today(), received_amount: '600.00' }] });
  const d2 = await createDeal(t, sales, kathmandu.id, { deal_value: '50000.00', currency: 'NPR', payments: [{ payment_date: today(), received_amount: '20000.00' }] });
  const d3 = await createDeal(t, sales, acme.id, { deal_value: '500.00', payments: [{ payment_date: today(), received_amount: '200.00' }, { payment_date: today(), received_amount: '100.00' }] });
  await verify(d1.payments[0]!.id, 'approved');
  await verify(d2.payments[0]!.id, 'approved');
  await verify(d3.payments[1]!.id, 'rejected');
  // Team Lead: D4 USD 2000 fully verified.
  const leadClient = await createClient(t, org.users.lead.token, { client_name: 'Lead Client' });
  leadClientId = String(leadClient.id);
  const d4 = await createDeal(t, org.users.lead.token, leadClient.id, { deal_value: '2000.00', payments: [{ payment_date: today(), received_amount: '2000.00' }] });
  await verify(d4.payments[0]!.id, 'approved');
  // Another organisation's verified money must not appear anywhere.
  const foreignClient = await createClient(t, other.users.sales.token);
  const foreign = await createDeal(t, other.users.sales.token, foreignClient.id, { deal_value: '99999.00', payments: [{ payment_date: today(), received_amount: '99999.00' }] });
  await t.app.inject({ method: 'POST', url: `/api/verifier/verify/${foreign.payments[0]!.id}/`, headers: auth(other.users.verifier.token), payload: { status: 'approved' } });
  await t.app.inject({ method: 'POST', url: '/api/auth/user/set-sales-target/', headers: auth(sales), payload: { sales_target: '5000' } });
});
afterAll(() => t.close());

describe('salesperson dashboard', () => {
  it('GET /api/dashboard/ reports verified sales in the organisation currency, other currencies beside it', async () => {
    const res = await get('/api/dashboard/', org.users.sales.token);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.sales_progress).toMatchObject({ achieved: '600.00', current_sales: '600.00', target: '5000.00', percentage: 12, currency: 'USD', period: 'monthly' });
    expect(body.sales_progress.by_currency).toEqual(expect.arrayContaining([{ currency: 'USD', amount: '600.00', count: 1 }, { currency: 'NPR', amount: '20000.00', count: 1 }]));
    expect(body.outstanding_deals).toHaveLength(3);
    expect(body.outstanding_deals.map((d: { client_name: string }) => d.client_name).sort()).toEqual(['Acme', 'Acme', 'Kathmandu Co']);
    // The same buckets as /api/dashboard/payment-verification/: totals are JSON numbers.
    expect(body.verification_status.verified).toMatchObject({ count: 2, total: 600 });
    expect(body.verification_status.pending).toMatchObject({ count: 1, total: 200 });
    expect(body.verification_status.rejected).toMatchObject({ count: 1, total: 100 });
    expect(body.verification_status.verified.by_currency).toEqual(expect.arrayContaining([{ currency: 'USD', amount: '600.00', count: 1 }]));
    expect(body.outstanding_deals.every((d: { id: unknown; deal_value: unknown }) => Number.isInteger(d.id) && typeof d.deal_value === 'number')).toBe(true);
  });

  it('answers an anonymous call with 401 and an empty body; a role without the dashboard 403', async () => {
    const anonymous = await get('/api/dashboard/');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).toBe('');
    // The document says so (it declared a JSON string; found by the fuzzer).
    const declared = (await get('/api/schema/')).json().paths['/api/dashboard/'].get.responses['401'];
    expect(declared.content).toEqual({ 'text/plain': { schema: { type: 'string', maxLength: 0 } } });
    expect(anonymous.headers['content-type']).toMatch(/^text\/plain/);
    expect((await get('/api/dashboard/', org.users.verifier.token)).statusCode).toBe(403);
    expect((await get('/api/dashboard/standings/')).statusCode).toBe(401);
    expect((await get('/api/dashboard/chart/?period=hourly', org.users.sales.token)).statusCode).toBe(400);
  });

  it('payment-verification, goals and chart agree with the data', async () => {
    const buckets = (await get('/api/dashboard/payment-verification/', org.users.sales.token)).json();
    expect(buckets).toMatchObject({ verified: { count: 2, total: 600 }, pending: { count: 1, total: 200 }, rejected: { count: 1, total: 100 } });
    // The client adds the three totals with +: numbers sum, strings would concatenate.
    expect(buckets.verified.total + buckets.pending.total + buckets.rejected.total).toBe(900);
    expect((await get('/api/dashboard/goals/', org.users.sales.token)).json()).toMatchObject({ target: '5000.00', achieved: '600.00', percentage: 12 });
    const chart = (await get('/api/dashboard/chart/?period=daily?', org.users.sales.token)).json() as { date: string; sales: number }[];
    expect(chart).toHaveLength(9);
    expect(chart.at(-1)).toMatchObject({ date: today(), sales: 600 });
    expect(chart.slice(0, -1).every((p) => p.sales === 0)).toBe(true);
    const monthly = (await get('/api/dashboard/chart/?period=monthly?', org.users.sales.token)).json() as { date: string; sales: number }[];
    expect(monthly).toHaveLength(12);
    expect(monthly.at(-1)!.sales).toBe(600);
    const weekly = (await get('/api/dashboard/chart/?period=weekly', org.users.sales.token)).json() as { date: string }[];
    expect(weekly.at(-1)!.date).toMatch(/^W\d{1,2}$/);
  });

  it('standings rank by verified sales, only people of this organisation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/dashboard/standings/?type=individual&period=daily', headers: { authorization: `token ${org.users.sales.token}` } });
    const body = res.json();
    expect(body.standings[0]).toMatchObject({ rank: 1, user_id: Number(org.users.lead.id), sales_amount: '2000.00' });
    expect(body.standings[1]).toMatchObject({ rank: 2, user_id: Number(org.users.sales.id), sales_amount: '600.00' });
    expect(body.current_user_rank).toBe(2);
    expect(body.standings.map((s: { user_id: number }) => s.user_id)).not.toContain(Number(other.users.sales.id));
    const teams = (await get('/api/dashboard/standings/?type=team&period=monthly', org.users.sales.token)).json();
    expect(teams).toMatchObject({ type: 'team', standings: [] });
  });

  it('commission overview: organisation sales, growth and top clients', async () => {
    const body = (await get('/api/dashboard/commission/?period=monthly&include_details=true?', org.users.sales.token)).json();
    expect(body.period_summary).toMatchObject({ organization_sales: '2600.00' });
    expect(body.period_summary.by_currency).toEqual(expect.arrayContaining([{ currency: 'NPR', amount: '20000.00', count: 1 }]));
    expect(body.company_goal_chart).toMatchObject({ current_sales: 600, previous_period_sales: 0, sales_growth_percentage: 100 });
    // client_id is the client's own id (a positive JSON integer); total_value a JSON number (bar heights).
    expect(body.top_clients_this_period[0]).toMatchObject({ client_id: Number(acmeId), id: Number(acmeId), client_name: 'Acme', total_deals: 2, total_value: 600 });
    expect(body.regular_clients_all_time[0]).toMatchObject({ client_id: Number(leadClientId), client_name: 'Lead Client', total_deals: 1, total_value: 2000 });
    for (const row of [...body.top_clients_this_period, ...body.regular_clients_all_time]) {
      expect(Number.isInteger(row.client_id) && row.client_id > 0, `client_id ${row.client_id}`).toBe(true);
      expect([typeof row.total_deals, typeof row.total_value]).toEqual(['number', 'number']);
    }
    expect(body.organization_goal).toBeGreaterThanOrEqual(1);
  });

  it('client status list: outstanding per client in the organisation currency', async () => {
    const body = (await get('/api/dashboard/clients/?limit=10&status_filter=all', org.users.sales.token)).json();
    const acme = body.clients.find((c: { client_name: string }) => c.client_name === 'Acme');
    expect(acme).toMatchObject({ total_deals: 2, total_value: '1500.00', paid_amount: '600.00', outstanding_amount: '900.00' });
    expect(body.clients.map((c: { client_name: string }) => c.client_name)).not.toContain('Kathmandu Co'); // NPR deals are not mixed into USD figures
  });

  it('overview and performance (seeds)', async () => {
    const overview = (await get('/api/dashboard/overview/', org.users.sales.token)).json();
    expect(overview).toMatchObject({ total_deals: 3, verified_deals: 2, total_revenue: '600.00', monthly_achieved: '600.00', currency: 'USD' });
    const perf = await get(`/api/dashboard/performance/?period=daily&user_id=${org.users.lead.id}`, org.users.admin.token);
    expect(perf.statusCode, perf.body).toBe(200);
    expect(perf.json()).toMatchObject({ user_id: Number(org.users.lead.id), total: '2000.00' });
    expect((await get('/api/dashboard/performance/?user_id=not-an-id', org.users.admin.token)).statusCode).toBe(404);
    expect((await get(`/api/dashboard/performance/?user_id=${org.users.lead.id}`, org.users.sales.token)).statusCode).toBe(403);
    expect((await get(`/api/dashboard/performance/?user_id=${other.users.sales.id}`, org.users.admin.token)).statusCode).toBe(404);
  });
});

describe('analytics', () => {
  it('organisation-wide revenue, monthly sales and performance; managers only', async () => {
    const dashboard = (await get('/api/analytics/dashboard/?period=monthly', org.users.admin.token)).json();
    expect(dashboard).toMatchObject({ currency: 'USD', revenue: '2600.00', deals_created: 4, deals_verified: 3, payments_pending: 1 });
    expect(dashboard.revenue_by_currency).toEqual(expect.arrayContaining([{ currency: 'NPR', amount: '20000.00', count: 1 }]));
    const sales = (await get('/api/analytics/sales/', org.users.supervisor.token)).json();
    expect(sales.total).toBe('2600.00');
    expect(sales.months.at(-1).amount).toBe('2600.00');
    const perf = (await get('/api/analytics/performance/?period=yearly', org.users.admin.token)).json();
    expect(perf.people[0]).toMatchObject({ user_id: Number(org.users.lead.id), sales: '2000.00' });
    expect((await get('/api/analytics/sales/', org.users.sales.token)).statusCode).toBe(403);
    expect((await get('/api/analytics/sales/')).statusCode).toBe(401);
  });
});
