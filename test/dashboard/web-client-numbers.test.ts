// The numbers the web client computes with, as it receives them (docs/api-guide.md, "Numbers on
// the web client's routes"): JSON numbers where it adds or `.toFixed()`s, the streak it draws as
// stars within 0..5, string ids where its export needs strings; the seeds' routes keep decimal
// strings for the same figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

let t: TestApp;
let org: TestOrg;
const get = (url: string, token: string) => t.app.inject({ method: 'GET', url, headers: auth(token) });
const post = (url: string, token: string, payload: object) => t.app.inject({ method: 'POST', url, headers: auth(token), payload });
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Web Numbers Org');
  const sales = org.users.sales.token;
  const client = await createClient(t, sales, { client_name: 'Numbers Client' });
  // Verified 1234.56 and 0.10, pending 300.01, rejected 99.99 (verified amounts with cents, so a
  // string would not add up and a float sum would show it).
  const deal = await createDeal(t, sales, client.id, {
    deal_value: '9000.00',
    payments: ['1234.56', '0.10', '300.01', '99.99'].map((a) => ({ payment_date: today(), received_amount: a })),
  });
  const [p1, p2, , p4] = deal.payments.map((p) => p.id);
  for (const [id, payload] of [[p1, { status: 'approved' }], [p2, { status: 'approved' }], [p4, { status: 'rejected', remarks: 'Bounced' }]] as const) {
    const res = await post(`/api/verifier/verify/${id}/`, org.users.verifier.token, payload);
    expect(res.statusCode, res.body).toBe(200);
  }
  // The team lead closes a qualifying deal (verified, above the minimum of 100) on each of 7 days.
  const leadClient = await createClient(t, org.users.lead.token, { client_name: 'Streak Client' });
  for (let offset = -6; offset <= 0; offset++) {
    const d = await createDeal(t, org.users.lead.token, leadClient.id, { deal_date: day(offset), deal_value: '500.00' });
    const res = await post(`/api/deals/${d.id}/approve/`, org.users.verifier.token, {});
    expect(res.statusCode, res.body).toBe(200);
  }
});
afterAll(() => t.close());

describe("numbers on the web client's dashboard", () => {
  it('payment-verification: the three totals are JSON numbers that add up exactly as the client adds them', async () => {
    const res = await t.app.inject(clientRequest(contractEntry('dashboard.payment-verification'), { token: org.users.sales.token }));
    expect(res.statusCode).toBe(200);
    // Written from the exact decimals: 1234.66 (not a float sum), 300.01, 99.99.
    expect(res.body).toContain('"total":1234.66');
    const body = res.json();
    expect(body).toMatchObject({ verified: { count: 2, total: 1234.66 }, pending: { count: 1, total: 300.01 }, rejected: { count: 1, total: 99.99 } });
    for (const bucket of [body.verified, body.pending, body.rejected]) expect(typeof bucket.total).toBe('number');
    expect(body.verified.total + body.pending.total + body.rejected.total).toBeCloseTo(1634.66, 10);
    // The per-currency breakdown stays exact strings.
    expect(body.verified.by_currency).toEqual([{ currency: 'USD', amount: '1234.66', count: 2 }]);
    expect(missingFields(contractEntry('dashboard.payment-verification'), body)).toEqual([]);
  });

  it('streaks: a 7-day streak reaches the client as 5 stars, the true length in streak_days', async () => {
    const res = await t.app.inject(clientRequest(contractEntry('dashboard.streaks'), { token: org.users.lead.token }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ current_streak: 5, streak_days: 7, longest_streak: 7 });
    // The client's stars: [...Array(5 - Math.floor(current_streak) - half)] must not throw.
    expect(() => [...Array(5 - Math.floor(body.current_streak))]).not.toThrow();
    expect(missingFields(contractEntry('dashboard.streaks'), body)).toEqual([]);
    // Below 5 nothing is capped: the salesperson's one verified deal qualifies today.
    expect((await get('/api/dashboard/streaks/', org.users.sales.token)).json()).toMatchObject({ current_streak: 1, streak_days: 1 });
  });

  it('commission panel: client ids are the clients\' integer ids, total_deals and total_value JSON numbers', async () => {
    const res = await t.app.inject(clientRequest(contractEntry('dashboard.commission'), { token: org.users.sales.token, query: { period: 'monthly', include_details: 'true?' } }));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const [client] = await t.db.system((tx) => rows<{ id: string }>(tx, sql`SELECT id FROM clients WHERE organization_id = ${org.id} AND client_name = 'Numbers Client'`));
    expect(body.top_clients_this_period).toEqual([{ client_id: Number(client!.id), id: Number(client!.id), client_name: 'Numbers Client', total_deals: 1, total_value: 1234.66 }]);
    expect(body.regular_clients_all_time.length).toBeGreaterThan(0);
    for (const c of body.regular_clients_all_time) expect([Number.isInteger(c.client_id), typeof c.total_deals, typeof c.total_value]).toEqual([true, 'number', 'number']);
    expect(body.company_goal_chart).toMatchObject({ current_sales: 1234.66 });
    expect(missingFields(contractEntry('dashboard.commission'), body)).toEqual([]);
  });

  it("the seeds' dashboard routes keep decimal strings", async () => {
    const overview = (await get('/api/dashboard/overview/', org.users.sales.token)).json();
    expect(overview).toMatchObject({ total_revenue: '1234.66', monthly_achieved: '1234.66' });
    const goals = (await get('/api/dashboard/goals/', org.users.sales.token)).json();
    expect(goals).toMatchObject({ achieved: '1234.66' });
    const perf = (await get('/api/dashboard/performance/?period=daily', org.users.sales.token)).json();
    expect(perf).toMatchObject({ total: '1234.66' });
  });
});
