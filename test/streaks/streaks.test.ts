// Streaks for a scripted sequence of days (a gap day, a day below the minimum value, a pending
// deal, deals verified by approval and by payment verification, edits moving value and dates,
// a deletion, a foreign currency qualifying once its rate is recorded), checked after every
// step against the rule; then `prs calculate-streaks` must rebuild exactly the same records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { calculateStreaksCommand } from '../../src/sales/streaks/cli.ts';
import { currentStreaks } from '../../src/sales/streaks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal } from '../support/sales.ts';
import { clientRequest, contractEntry, missingFields } from '../contract/contract.ts';
import { commissionHarness } from '../commission/helpers.ts';
import { expectWireId, sid, wire } from '../sales/helpers.ts';

let t: TestApp;
let org: TestOrg;
let h: ReturnType<typeof commissionHarness>;
let clientId: string;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Streak Org');
  h = commissionHarness(t);
  clientId = (await createClient(t, org.users.sales.token)).id;
});
afterAll(() => t.close());

/** A deal of the salesperson on `offset` days from today, approved by the verifier unless `pending`. */
async function deal(offset: number, value: string, opts: { pending?: boolean; currency?: string } = {}) {
  const d = await createDeal(t, org.users.sales.token, clientId, { deal_date: day(offset), deal_value: value, currency: opts.currency ?? 'USD' });
  if (!opts.pending) {
    const res = await h.call('POST', `/api/deals/${d.id}/approve/`, org.users.verifier.token);
    expect(res.statusCode, res.body).toBe(200);
  }
  return d.id;
}

type Rec = { date: string; deals_closed: number; total_value: string; qualifying: boolean; streak: number };
const records = () =>
  h.q<Rec & { user_id: string }>(
    sql`SELECT user_id, to_char(date, 'YYYY-MM-DD') AS date, deals_closed, total_value::text AS total_value, qualifying, streak
        FROM daily_streak_records WHERE organization_id = ${org.id} ORDER BY user_id, date`,
  );
/** { offset: [qualifying, streak] } for the salesperson's records. */
async function expectDays(expected: Record<number, [boolean, number]>) {
  const mine = (await records()).filter((r) => r.user_id === sid(org.users.sales.id));
  const want = Object.entries(expected)
    .map(([o, [q, s]]) => ({ date: day(Number(o)), qualifying: q, streak: s }))
    .sort((a, b) => a.date.localeCompare(b.date));
  expect(mine.map(({ date, qualifying, streak }) => ({ date, qualifying, streak }))).toEqual(want);
}
const streak = async (token = org.users.sales.token) => {
  const res = await h.call('GET', '/api/dashboard/streaks/?', token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe('streak rule over a scripted sequence of days', () => {
  const ids: Record<string, string> = {};

  it('counts consecutive qualifying days ending yesterday, with a gap day and a day below the minimum', async () => {
    ids.d6 = await deal(-6, '500.00');
    ids.d5 = await deal(-5, '500.00');
    // day −4: no deal (the gap)
    ids.d3 = await deal(-3, '150.00');
    ids.d2 = await deal(-2, '50.00'); // verified but not above the minimum of 100
    await deal(-2, '1000.00', { pending: true }); // above the minimum but not verified
    ids.d1 = await deal(-1, '200.00');
    await expectDays({ [-6]: [true, 1], [-5]: [true, 2], [-3]: [true, 1], [-2]: [false, 0], [-1]: [true, 1] });
    const [d2] = (await records()).filter((r) => r.date === day(-2));
    expect(d2).toMatchObject({ deals_closed: 1, total_value: '50.00' });
    expect(await streak()).toMatchObject({ current_streak: 1, streak_rating: 'Beginner', days_until_next_level: 4, next_level: 'Getting Started', longest_streak: 2 });
  });

  it('extends the streak through today when a payment verification verifies today\'s deal', async () => {
    const d = await createDeal(t, org.users.sales.token, clientId, { deal_date: day(0), deal_value: '300.00', payments: [{ payment_date: day(0), received_amount: '100.00' }] });
    await expectDays({ [-6]: [true, 1], [-5]: [true, 2], [-3]: [true, 1], [-2]: [false, 0], [-1]: [true, 1], 0: [false, 0] });
    const res = await h.call('POST', `/api/verifier/verify/${d.payments[0]!.id}/`, org.users.verifier.token, { status: 'approved' });
    expect(res.statusCode).toBe(200);
    ids.d0 = d.id;
    expect((await streak()).current_streak).toBe(2);
  });

  it('filling the gap day and raising the small deal above the minimum joins the runs', async () => {
    ids.d4 = await deal(-4, '120.00');
    await expectDays({ [-6]: [true, 1], [-5]: [true, 2], [-4]: [true, 3], [-3]: [true, 4], [-2]: [false, 0], [-1]: [true, 1], 0: [true, 2] });
    const put = await h.call('PATCH', `/api/deals/${ids.d2}/`, org.users.sales.token, { deal_value: '150.00' });
    expect(put.statusCode, put.body).toBe(200);
    await expectDays({ [-6]: [true, 1], [-5]: [true, 2], [-4]: [true, 3], [-3]: [true, 4], [-2]: [true, 5], [-1]: [true, 6], 0: [true, 7] });
    // The web client draws Array(5 - current_streak) stars: it gets at most 5, the true length in streak_days.
    expect(await streak()).toMatchObject({ current_streak: 5, streak_days: 7, streak_rating: 'Getting Started', days_until_next_level: 3, next_level: 'Rising Star', longest_streak: 7 });
  });

  it('moving a deal to another date and deleting one re-split the runs', async () => {
    const moved = await h.call('PATCH', `/api/deals/${ids.d4}/`, org.users.sales.token, { deal_date: day(-10) });
    expect(moved.statusCode, moved.body).toBe(200);
    await expectDays({ [-10]: [true, 1], [-6]: [true, 1], [-5]: [true, 2], [-3]: [true, 1], [-2]: [true, 2], [-1]: [true, 3], 0: [true, 4] });
    const deleted = await h.call('DELETE', `/api/deals/${ids.d6}/`, org.users.sales.token);
    expect(deleted.statusCode, deleted.body).toBe(204);
    await expectDays({ [-10]: [true, 1], [-5]: [true, 1], [-3]: [true, 1], [-2]: [true, 2], [-1]: [true, 3], 0: [true, 4] });
    const view = await streak();
    expect(view).toMatchObject({ current_streak: 4, longest_streak: 4 });
    expect(view.recent_history).toHaveLength(30);
    expect(view.recent_history[0]).toMatchObject({ date: day(0), qualifying: true, streak: 4 });
    expect(view.recent_history[4]).toMatchObject({ date: day(-4), deals_closed: 0, qualifying: false, streak: 0 });
  });

  it('a deal in another currency qualifies once a rate converts it above the minimum', async () => {
    await deal(-8, '90.00', { currency: 'EUR' });
    await expectDays({ [-10]: [true, 1], [-8]: [false, 0], [-5]: [true, 1], [-3]: [true, 1], [-2]: [true, 2], [-1]: [true, 3], 0: [true, 4] });
    const rate = await h.call('POST', '/api/commission/exchange-rates/', org.users.admin.token, { date: day(-30), from_currency: 'EUR', rate: '1.2' });
    expect(rate.statusCode, rate.body).toBe(201);
    // 90.00 EUR × 1.2 = 108.00 USD > 100
    await expectDays({ [-10]: [true, 1], [-8]: [true, 1], [-5]: [true, 1], [-3]: [true, 1], [-2]: [true, 2], [-1]: [true, 3], 0: [true, 4] });
    const [eur] = (await records()).filter((r) => r.date === day(-8));
    expect(eur).toMatchObject({ deals_closed: 1, total_value: '108.00' });
  });

  it('prs calculate-streaks rebuilds exactly the incremental records', async () => {
    const incremental = await records();
    expect(incremental.length).toBeGreaterThan(5);
    const out: string[] = [];
    const run = () => calculateStreaksCommand.run({ config: t.config, db: t.db, args: ['--org', org.id], out: (l) => out.push(l) });
    expect(await run()).toBe(0);
    expect(await records()).toEqual(incremental);
    await h.q(sql`DELETE FROM daily_streak_records WHERE organization_id = ${org.id}`);
    expect(await records()).toEqual([]);
    expect(await calculateStreaksCommand.run({ config: t.config, db: t.db, args: [], out: (l) => out.push(l) })).toBe(0);
    expect(await records()).toEqual(incremental);
    expect(out.at(-1)).toMatch(/^Rebuilt \d+ streak record\(s\) in \d+ organisation\(s\)\.$/);
    expect(await calculateStreaksCommand.run({ config: t.config, db: t.db, args: ['--org', '900000000000'], out: (l) => out.push(l) })).toBe(1);
  });
});

describe('streak routes', () => {
  it('leaderboard ranks the organisation by current streak', async () => {
    const res = await h.call('GET', '/api/dashboard/streaks/leaderboard/?limit=5&period=monthly', org.users.lead.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.leaderboard[0]).toMatchObject({ rank: 1, user_id: wire(org.users.sales.id), current_streak: 4, streak: 4, streak_rating: 'Beginner', is_current_user: false });
    for (const row of body.leaderboard) expectWireId(row.user_id, 'leaderboard[].user_id');
    expect(body.leaderboard.length).toBeLessThanOrEqual(5);
    expect(body).toMatchObject({ organization: 'Streak Org', currency: 'USD', period: 'monthly' });
    const own = (await h.call('GET', '/api/dashboard/streaks/leaderboard/', org.users.sales.token)).json();
    expect(own.current_user_rank).toBe(1);
    // The helper dashboards use for standings: keyed by the ids as PRS holds them (decimal strings).
    const current = await t.db.tenant({ orgId: org.id, userId: null }, (tx) => currentStreaks(tx, org.id, [sid(org.users.sales.id), sid(org.users.lead.id)]));
    expect([...current.entries()]).toEqual(expect.arrayContaining([[sid(org.users.sales.id), 4], [sid(org.users.lead.id), 0]]));
    expect(current.size).toBe(2);
  });

  it('the contract entry dashboard.streaks, 401, 403 and 400', async () => {
    const entry = contractEntry('dashboard.streaks');
    const res = await t.app.inject(clientRequest(entry, { token: org.users.sales.token }));
    expect(res.statusCode).toBe(200);
    expect(missingFields(entry, res.json())).toEqual([]);
    expect((await t.app.inject(clientRequest(entry))).statusCode).toBe(401);
    expect((await h.call('GET', '/api/dashboard/streaks/leaderboard/')).statusCode).toBe(401);
    // Verifiers have no dashboard:view.
    expect((await h.call('GET', '/api/dashboard/streaks/', org.users.verifier.token)).statusCode).toBe(403);
    for (const qs of ['limit=0', 'limit=abc', 'period=weekly']) {
      expect((await h.call('GET', `/api/dashboard/streaks/leaderboard/?${qs}`, org.users.sales.token)).statusCode, qs).toBe(400);
    }
    // A user with no deals: zero, "New".
    expect(await streak(org.users.lead.token)).toMatchObject({ current_streak: 0, streak_rating: 'New', days_until_next_level: 1, longest_streak: 0 });
  });

  it('honours the organisation\'s minimum deal value', async () => {
    const other = await createOrg(t, 'Streak Min Org');
    await h.q(sql`UPDATE organizations SET settings = settings || '{"streak_min_deal_value": "1000"}'::jsonb WHERE id = ${other.id}`);
    const client = await createClient(t, other.users.sales.token);
    for (const value of ['999.99', '1000.00']) {
      const d = await createDeal(t, other.users.sales.token, client.id, { deal_date: day(-1), deal_value: value });
      await h.call('POST', `/api/deals/${d.id}/approve/`, other.users.verifier.token);
    }
    expect((await streak(other.users.sales.token)).current_streak).toBe(0);
    const d = await createDeal(t, other.users.sales.token, client.id, { deal_date: day(0), deal_value: '1000.01' });
    await h.call('POST', `/api/deals/${d.id}/approve/`, other.users.verifier.token);
    expect(await streak(other.users.sales.token)).toMatchObject({ current_streak: 1, qualifying_rule: { min_deal_value: '1000', currency: 'USD' } });
  });
});
