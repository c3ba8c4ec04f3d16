// Sales streaks (product.md §6): the number of consecutive days, ending today or yesterday in the
// organisation's time zone, with at least one qualifying deal (repo.ts says what qualifies).
// One record per user and day is kept up to date by the deal and verification use cases (the
// hooks below) and rebuilt in full by `prs calculate-streaks`.
import { rows, sql, type Tx } from '../../core/db/database.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { toCents } from '../../core/money.ts';
import { organizationToday } from '../../core/organizations/clock.ts';
import { nextLevel, streakRating } from './levels.ts';
import * as repo from './repo.ts';

const HISTORY_DAYS = 30;

const addDays = (day: string, n: number) => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};

/** Hook: deals of `userId` on these dates changed (created, edited, deleted, verified). */
export async function streakDaysChanged(ctx: ServiceContext, userId: string, dates: (string | null | undefined)[]): Promise<void> {
  if (!ctx.orgId) return;
  const days = [...new Set(dates.filter((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)))];
  await repo.refreshDays(ctx.tx, ctx.orgId, userId, days);
}

/** Hook: the verification state of a deal may have changed. */
export async function streakDealChanged(ctx: ServiceContext, dealId: string): Promise<void> {
  if (!ctx.orgId) return;
  const [deal] = await rows<{ created_by: string; deal_date: string }>(
    ctx.tx,
    sql`SELECT created_by, to_char(deal_date, 'YYYY-MM-DD') AS deal_date FROM deals WHERE organization_id = ${ctx.orgId} AND id = ${dealId}`,
  );
  if (deal) await repo.refreshDays(ctx.tx, ctx.orgId, deal.created_by, [deal.deal_date]);
}

/** Hook: a rate for `currency` was recorded from `fromDate` on; deals in it may now qualify. */
export async function streakRateRecorded(ctx: ServiceContext, currency: string, fromDate: string): Promise<void> {
  if (!ctx.orgId) return;
  const touched = await rows<{ created_by: string; days: string[] }>(
    ctx.tx,
    sql`SELECT created_by, array_agg(DISTINCT to_char(deal_date, 'YYYY-MM-DD')) AS days FROM deals
        WHERE organization_id = ${ctx.orgId} AND currency = ${currency} AND deal_date >= ${fromDate}::date AND deleted_at IS NULL GROUP BY created_by`,
  );
  for (const t of touched) await repo.refreshDays(ctx.tx, ctx.orgId, t.created_by, t.days);
}

/** Current streaks of several users (for dashboards and standings). */
export async function currentStreaks(tx: Tx, orgId: string, userIds: string[]): Promise<Map<string, number>> {
  if (!userIds.length) return new Map();
  const today = await organizationToday(tx, orgId);
  const found = await rows<{ id: string; streak: number }>(
    tx,
    sql`SELECT u.id, ${repo.currentStreakOf(orgId, sql`u.id`, today)}::int AS streak FROM unnest(${sql.param(userIds)}::bigint[]) AS u(id)`,
  );
  return new Map(found.map((r) => [r.id, r.streak]));
}

export async function streakView(ctx: ServiceContext, userId: string) {
  const orgId = ctx.orgId!;
  const today = await organizationToday(ctx.tx, orgId);
  const stats = await repo.statsOf(ctx.tx, orgId, userId, today);
  const from = addDays(today, -(HISTORY_DAYS - 1));
  const records = new Map((await repo.recordsBetween(ctx.tx, orgId, userId, from, today)).map((r) => [r.date, r]));
  const history = Array.from({ length: HISTORY_DAYS }, (_, i) => {
    const date = addDays(today, -i);
    const r = records.get(date);
    return { date, deals_closed: r?.deals_closed ?? 0, total_value: r?.total_value ?? '0.00', qualifying: r?.qualifying ?? false, streak: r?.streak ?? 0 };
  });
  const [org] = await rows<{ currency: string; min: string | null }>(
    ctx.tx,
    sql`SELECT currency, settings->>'streak_min_deal_value' AS min FROM organizations WHERE id = ${orgId}`,
  );
  const min = org?.min && /^\d{1,14}(\.\d+)?$/.test(org.min) ? org.min : repo.DEFAULT_MIN_DEAL_VALUE;
  const next = nextLevel(stats.current_streak);
  return {
    current_streak: stats.current_streak,
    streak_rating: streakRating(stats.current_streak),
    streak_level: streakRating(stats.current_streak),
    days_until_next_level: next.days,
    next_level: next.label,
    longest_streak: stats.longest_streak,
    today,
    qualifying_rule: { min_deal_value: min, currency: org?.currency ?? 'USD', verified_only: true },
    recent_history: history,
    streak_statistics: {
      longest_streak: stats.longest_streak,
      total_days_tracked: stats.total_days_tracked,
      qualifying_days: stats.qualifying_days,
      average_deals_per_day: Math.round((stats.deals_last_7_days / 7) * 100) / 100,
    },
    performance_insights: insights(stats),
  };
}

function insights(s: repo.StreakStats): string[] {
  const out: string[] = [];
  if (s.current_streak === 0) out.push('Close a verified deal today to start a new streak.');
  else out.push(`You have closed qualifying deals ${s.current_streak} day(s) in a row.`);
  if (s.longest_streak > s.current_streak) out.push(`Your best streak so far is ${s.longest_streak} day(s).`);
  if (s.current_streak > 0 && s.current_streak === s.longest_streak) out.push('This is your longest streak yet. Keep it going!');
  return out;
}

export type LeaderboardPeriod = 'current' | 'monthly' | 'quarterly' | 'yearly';

export async function leaderboardView(ctx: ServiceContext, userId: string, period: LeaderboardPeriod, limit: number) {
  const orgId = ctx.orgId!;
  const today = await organizationToday(ctx.tx, orgId);
  const [y, m] = today.split('-').map(Number) as [number, number];
  const pad = (n: number) => String(n).padStart(2, '0');
  const from =
    period === 'monthly' ? `${y}-${pad(m)}-01` : period === 'quarterly' ? `${y}-${pad(Math.floor((m - 1) / 3) * 3 + 1)}-01` : period === 'yearly' ? `${y}-01-01` : null;
  const all = await repo.leaderboard(ctx.tx, orgId, today, from, today);
  const ranked = all.map((r, i) => ({
    rank: i + 1,
    user_id: r.user_id,
    username: r.full_name,
    full_name: r.full_name,
    email: r.email,
    streak: r.current_streak,
    current_streak: r.current_streak,
    longest_streak: r.longest_streak,
    streak_rating: streakRating(r.current_streak),
    deals_closed: r.deals_closed,
    sales_total: toCents(r.sales_total),
    is_current_user: r.user_id === userId,
  }));
  const [org] = await rows<{ name: string; currency: string }>(ctx.tx, sql`SELECT name, currency FROM organizations WHERE id = ${orgId}`);
  return {
    organization: org?.name ?? '',
    currency: org?.currency ?? 'USD',
    period,
    total_participants: ranked.length,
    current_user_rank: ranked.find((r) => r.is_current_user)?.rank ?? null,
    leaderboard: ranked.slice(0, limit),
    last_updated: new Date().toISOString(),
  };
}
