// The midnight streak roll-over: a scripted week run day by day through the durable job runner
// (deals of the day, then the day's roll-over), with a gap day that breaks two streaks, a day
// below the minimum and a late deal on the gap day; a second run of a day changes nothing;
// another organisation is untouched; `prs calculate-streaks` rebuilds the same records. Then the
// sweep: a restarted runner catches up every missed day of each organisation in its own time
// zone, once, and never finalises a day that has not ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/core/db/database.ts';
import { JobRunner, type Job } from '../../src/core/jobs/runner.ts';
import { organizationToday } from '../../src/core/organizations/clock.ts';
import { calculateStreaksCommand } from '../../src/sales/streaks/cli.ts';
import { enqueueRollover, nextQuarterHour, rollOverDay, rolloverKey, sweepRollovers } from '../../src/sales/streaks/rollover.ts';
import { ROLE_NAMES } from '../../src/core/access/catalog.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createOrg, insertTestUser, login, type TestOrg, type TestUser } from '../support/identity.ts';
import { createClient, createDeal } from '../support/sales.ts';
import { commissionHarness } from '../commission/helpers.ts';
import { sid } from '../sales/helpers.ts';

let t: TestApp;
let a: TestOrg;
let b: TestOrg;
let seller2: TestUser;
let h: ReturnType<typeof commissionHarness>;
let today: string;
const clients = new Map<string, string>();

const addDays = (date: string, n: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const day = (offset: number) => addDays(today, offset);
const todayOf = (orgId: string) => t.db.tenant({ orgId, userId: null }, (tx) => organizationToday(tx, orgId));

beforeAll(async () => {
  t = await createTestApp();
  h = commissionHarness(t);
  a = await createOrg(t, 'Rollover Alpha');
  b = await createOrg(t, 'Rollover Beta');
  seller2 = await login(t, (await insertTestUser(t, { orgId: a.id, roleId: a.roles.get(ROLE_NAMES.salesperson) })).email);
  today = await todayOf(a.id);
});
afterAll(() => t.close());

/** A deal of `seller` dated `offset` days from today, approved unless `pending`. */
async function deal(org: TestOrg, seller: TestUser, offset: number, value: string, opts: { pending?: boolean } = {}) {
  if (!clients.has(seller.id)) clients.set(seller.id, (await createClient(t, seller.token)).id);
  const d = await createDeal(t, seller.token, clients.get(seller.id)!, { deal_date: day(offset), deal_value: value });
  if (!opts.pending) expect((await h.call('POST', `/api/deals/${d.id}/approve/`, org.users.verifier.token)).statusCode).toBe(200);
  return d.id;
}

/** Enqueues the roll-over of `offset` for `org` as the sweep does, and lets the runner run it. */
async function rollOver(org: TestOrg, offset: number) {
  await t.db.system((tx) => enqueueRollover(tx, org.id, day(offset)));
  await t.app.jobRunner.runOnce();
}

type Rec = { user_id: string; date: string; deals_closed: number; total_value: string; qualifying: boolean; streak: number };
const records = (orgId: string) =>
  h.q<Rec>(
    sql`SELECT user_id, to_char(date, 'YYYY-MM-DD') AS date, deals_closed, total_value::text AS total_value, qualifying, streak
        FROM daily_streak_records WHERE organization_id = ${orgId} ORDER BY user_id, date`,
  );
const finalised = (orgId: string) =>
  h.q<{ date: string }>(sql`SELECT to_char(date, 'YYYY-MM-DD') AS date FROM streak_rollovers WHERE organization_id = ${orgId} ORDER BY date`).then((r) => r.map((x) => x.date));

/** { offset: [qualifying, streak, deals_closed] } for one user's records, all of them. */
async function expectDays(user: TestUser, expected: Record<number, [boolean, number, number]>) {
  const mine = (await records(a.id)).filter((r) => r.user_id === sid(user.id)).map(({ date, qualifying, streak, deals_closed }) => ({ date, qualifying, streak, deals_closed }));
  const want = Object.entries(expected)
    .map(([o, [qualifying, streak, deals]]) => ({ date: day(Number(o)), qualifying, streak, deals_closed: deals }))
    .sort((x, y) => x.date.localeCompare(y.date));
  expect(mine).toEqual(want);
}

describe('a scripted week, rolled over day by day', () => {
  let beta: Rec[];
  let lateDeal: string;
  const S = () => a.users.sales;

  it('day −6 and −5: qualifying days are finalised as they are; another organisation has its own deals', async () => {
    await deal(b, b.users.sales, -5, '900.00');
    await deal(b, b.users.sales, -3, '900.00'); // b's gap day −4 is never rolled over: no break for it
    beta = await records(b.id);

    await deal(a, S(), -6, '500.00');
    await rollOver(a, -6);
    await expectDays(S(), { [-6]: [true, 1, 1] });

    await deal(a, S(), -5, '500.00');
    await deal(a, seller2, -5, '300.00');
    await rollOver(a, -5);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1] });
    await expectDays(seller2, { [-5]: [true, 1, 1] });
  });

  it('day −4, the gap: both runs end with a break record (0 deals, streak 0)', async () => {
    await rollOver(a, -4);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [false, 0, 0] });
    await expectDays(seller2, { [-5]: [true, 1, 1], [-4]: [false, 0, 0] });
    const [gap] = (await records(a.id)).filter((r) => r.user_id === sid(S().id) && r.date === day(-4));
    expect(gap).toMatchObject({ total_value: '0.00' });
  });

  it('day −3 starts a new run; a broken streak is not broken again', async () => {
    await deal(a, S(), -3, '150.00');
    await rollOver(a, -3);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [false, 0, 0], [-3]: [true, 1, 1] });
    await expectDays(seller2, { [-5]: [true, 1, 1], [-4]: [false, 0, 0] });
  });

  it('day −2: a verified deal below the minimum and a pending one do not keep the run; no extra record', async () => {
    await deal(a, S(), -2, '50.00');
    await deal(a, S(), -2, '1000.00', { pending: true });
    await rollOver(a, -2);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [false, 0, 0], [-3]: [true, 1, 1], [-2]: [false, 0, 1] });
  });

  it('day −1 qualifies again: the streak read today is 1, the history shows the break', async () => {
    await deal(a, S(), -1, '200.00');
    await rollOver(a, -1);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [false, 0, 0], [-3]: [true, 1, 1], [-2]: [false, 0, 1], [-1]: [true, 1, 1] });
    expect(await finalised(a.id)).toEqual([-6, -5, -4, -3, -2, -1].map(day));
    const view = (await h.call('GET', '/api/dashboard/streaks/', S().token)).json();
    expect(view).toMatchObject({ current_streak: 1, longest_streak: 2, streak_statistics: { total_days_tracked: 6, qualifying_days: 4 } });
    expect(view.recent_history[4]).toMatchObject({ date: day(-4), deals_closed: 0, qualifying: false, streak: 0 });
  });

  it('running a day again (re-enqueued after it finished, or called directly) changes nothing', async () => {
    const before = await records(a.id);
    await rollOver(a, -4);
    await rollOver(a, -1);
    const again = { id: 'direct', kind: 'streak_rollover', payload: { date: day(-4) }, organizationId: a.id, attempts: 1, maxAttempts: 1 } satisfies Job;
    expect(await rollOverDay(again, { db: t.db, log: t.app.log })).toBe(false);
    expect(await records(a.id)).toEqual(before);
    expect(await finalised(a.id)).toHaveLength(6);
    const jobs = await h.q<{ done: number; failed: number }>(
      sql`SELECT count(*) FILTER (WHERE done_at IS NOT NULL)::int AS done, count(*) FILTER (WHERE failed_at IS NOT NULL)::int AS failed
          FROM jobs WHERE kind = 'streak_rollover' AND organization_id = ${a.id}`,
    );
    expect(jobs).toEqual([{ done: 8, failed: 0 }]);
  });

  it('the other organisation is untouched: no records changed, no day finalised', async () => {
    expect(await records(b.id)).toEqual(beta);
    expect(await finalised(b.id)).toEqual([]);
  });

  it('a late deal on the finalised gap day replaces its break record and joins the runs; deleting it restores the break', async () => {
    lateDeal = await deal(a, S(), -4, '120.00');
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [true, 3, 1], [-3]: [true, 4, 1], [-2]: [false, 0, 1], [-1]: [true, 1, 1] });
    expect((await h.call('DELETE', `/api/deals/${lateDeal}/`, S().token)).statusCode).toBe(204);
    await expectDays(S(), { [-6]: [true, 1, 1], [-5]: [true, 2, 1], [-4]: [false, 0, 0], [-3]: [true, 1, 1], [-2]: [false, 0, 1], [-1]: [true, 1, 1] });
    await expectDays(seller2, { [-5]: [true, 1, 1], [-4]: [false, 0, 0] });
  });

  it('prs calculate-streaks rebuilds exactly these records, break records included', async () => {
    const incremental = await records(a.id);
    await h.q(sql`DELETE FROM daily_streak_records WHERE organization_id = ${a.id}`);
    const out: string[] = [];
    expect(await calculateStreaksCommand.run({ config: t.config, db: t.db, args: ['--org', a.id], out: (l) => out.push(l) })).toBe(0);
    expect(await records(a.id)).toEqual(incremental);
  });

  it('a day that has not ended is never finalised', async () => {
    const job = { id: 'early', kind: 'streak_rollover', payload: { date: today }, organizationId: a.id, attempts: 1, maxAttempts: 1 } satisfies Job;
    expect(await rollOverDay(job, { db: t.db, log: t.app.log })).toBe(false);
    expect(await finalised(a.id)).not.toContain(today);
  });
});

describe('the sweep: scheduling and catching up', () => {
  it('runs at every quarter hour, where every time zone\'s midnight falls', () => {
    expect(nextQuarterHour(new Date('2026-11-22T18:07:31Z')).toISOString()).toBe('2026-11-22T18:15:00.000Z');
    expect(nextQuarterHour(new Date('2026-11-22T18:15:00Z')).toISOString()).toBe('2026-11-22T18:30:00.000Z');
    // Nepal is UTC+05:45: its midnight is 18:15 UTC.
    expect(nextQuarterHour(new Date('2026-11-22T18:14:59.999Z')).toISOString()).toBe('2026-11-22T18:15:00.000Z');
  });

  it('a restarted runner catches up each organisation\'s missed days in its own time zone, once', async () => {
    const east = await createOrg(t, 'Rollover Kiritimati');
    const west = await createOrg(t, 'Rollover Pago Pago');
    // Created five and two local days ago; the east's last run before the "outage" finalised two days.
    const born = (orgId: string, zone: string, daysAgo: number) =>
      h.q(sql`UPDATE organizations SET time_zone = ${zone},
                created_at = (((now() AT TIME ZONE ${zone})::date - ${daysAgo}::int)::timestamp + interval '1 hour') AT TIME ZONE ${zone}
              WHERE id = ${orgId}`);
    await born(east.id, 'Pacific/Kiritimati', 5);
    await born(west.id, 'Pacific/Pago_Pago', 2);
    const [eastToday, westToday] = [await todayOf(east.id), await todayOf(west.id)];
    expect(eastToday).not.toBe(westToday); // UTC+14 and UTC−11 never share a date
    await h.q(sql`INSERT INTO streak_rollovers (organization_id, date) VALUES (${east.id}, ${addDays(eastToday, -5)}::date), (${east.id}, ${addDays(eastToday, -4)}::date)`);

    const pending = async (orgId: string) =>
      (await h.q<{ date: string }>(sql`SELECT payload->>'date' AS date FROM jobs WHERE kind = 'streak_rollover' AND organization_id = ${orgId} AND done_at IS NULL ORDER BY 1`)).map((r) => r.date);
    const restarted = new JobRunner(t.app);
    await restarted.runOnce(); // the sweep, brought forward on start
    expect(await pending(east.id)).toEqual([-3, -2, -1].map((n) => addDays(eastToday, n)));
    expect(await pending(west.id)).toEqual([-2, -1].map((n) => addDays(westToday, n)));
    expect(await pending(a.id)).toEqual([]); // created today: nothing has ended since
    expect(await pending(b.id)).toEqual([]);

    await sweepRollovers(t.db); // a second sweep while they are pending adds nothing
    expect(await pending(east.id)).toHaveLength(3);
    await restarted.runOnce();
    expect(await finalised(east.id)).toEqual([-5, -4, -3, -2, -1].map((n) => addDays(eastToday, n)));
    expect(await finalised(west.id)).toEqual([-2, -1].map((n) => addDays(westToday, n)));
    expect(await sweepRollovers(t.db)).toBe(0);

    // The next sweep waits for the next quarter hour.
    const [next] = await h.q<{ aligned: boolean; later: boolean }>(
      sql`SELECT (extract(epoch FROM run_at)::bigint % 900 = 0) AS aligned, run_at > now() AS later FROM jobs
          WHERE kind = 'streak_rollover_sweep' AND done_at IS NULL AND failed_at IS NULL`,
    );
    expect(next).toEqual({ aligned: true, later: true });
  });

  it('a day whose job failed for good is left to an operator, not retried every quarter hour', async () => {
    const org = await createOrg(t, 'Rollover Failed');
    await h.q(sql`UPDATE organizations SET created_at = now() - interval '3 days' WHERE id = ${org.id}`);
    const orgToday = await todayOf(org.id);
    const failedDay = addDays(orgToday, -1);
    await h.q(sql`INSERT INTO jobs (kind, payload, organization_id, dedupe_key, failed_at, last_error)
                  VALUES ('streak_rollover', ${JSON.stringify({ date: failedDay })}::jsonb, ${org.id}, ${rolloverKey(org.id, failedDay)}, now(), 'boom')`);
    await sweepRollovers(t.db);
    const queued = await h.q<{ date: string }>(sql`SELECT payload->>'date' AS date FROM jobs WHERE organization_id = ${org.id} AND done_at IS NULL AND failed_at IS NULL ORDER BY 1`);
    expect(queued.map((r) => r.date)).not.toContain(failedDay);
    expect(queued.length).toBeGreaterThanOrEqual(2);
  });
});
