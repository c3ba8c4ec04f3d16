// GET /api/dashboard/streaks/ (the caller's streak; the web client reads current_streak, capped at
// its five stars, the true length being streak_days) and
// GET /api/dashboard/streaks/leaderboard/.
import { z } from 'zod';
import { inTenant } from '../../core/http/context.ts';
import { notFound } from '../../core/http/errors.ts';
import { queryInteger } from '../../core/http/pagination.ts';
import type { AppInstance } from '../../core/http/types.ts';
import { leaderboardView, streakView } from './service.ts';
// Registers the midnight roll-over jobs with the runner of every application that serves streaks.
import './rollover.ts';
import { wireId } from '../../core/http/fields.ts';

const Day = z.object({ date: z.string(), deals_closed: z.number().int(), total_value: z.string(), qualifying: z.boolean(), streak: z.number().int() });

/** The most stars the web client draws: it builds `Array(5 - streak)`, which throws above 5. */
const CLIENT_STARS = 5;

const StreakOut = z.object({
  /** The streak as the web client's stars show it, 0..5; the true length is `streak_days`. */
  current_streak: z.number().int().min(0).max(CLIENT_STARS),
  streak_days: z.number().int(),
  streak_rating: z.string(),
  streak_level: z.string(),
  days_until_next_level: z.number().int(),
  next_level: z.string().nullable(),
  longest_streak: z.number().int(),
  today: z.string(),
  qualifying_rule: z.object({ min_deal_value: z.string(), currency: z.string(), verified_only: z.boolean() }),
  recent_history: z.array(Day),
  streak_statistics: z.object({ longest_streak: z.number().int(), total_days_tracked: z.number().int(), qualifying_days: z.number().int(), average_deals_per_day: z.number() }),
  performance_insights: z.array(z.string()),
});

const LeaderboardQuery = z.object({
  limit: queryInteger(1, 100).default(20),
  period: z.enum(['current', 'monthly', 'quarterly', 'yearly']).default('current'),
});

const LeaderOut = z.object({
  /** The organisation's name, as the original answered (not an id). */
  organization: z.string(),
  currency: z.string(),
  period: z.string(),
  total_participants: z.number().int(),
  current_user_rank: z.number().int().nullable(),
  leaderboard: z.array(
    z.object({
      rank: z.number().int(),
      user_id: wireId,
      username: z.string(),
      full_name: z.string(),
      email: z.string(),
      streak: z.number().int(),
      current_streak: z.number().int(),
      longest_streak: z.number().int(),
      streak_rating: z.string(),
      deals_closed: z.number().int(),
      sales_total: z.string(),
      is_current_user: z.boolean(),
    }),
  ),
  last_updated: z.string(),
});

export async function streakRoutes(app: AppInstance) {
  const tags = ['dashboard'];
  const permission = 'dashboard:view';

  app.get('/api/dashboard/streaks/', { config: { permission }, schema: { tags, response: { 200: StreakOut } } }, async (request) =>
    inTenant(request, async (ctx) => {
      if (!ctx.orgId) throw notFound('No organisation selected.');
      const view = await streakView(ctx, ctx.actor.userId);
      return { ...view, current_streak: Math.min(view.current_streak, CLIENT_STARS), streak_days: view.current_streak };
    }),
  );

  app.get('/api/dashboard/streaks/leaderboard/', { config: { permission }, schema: { tags, querystring: LeaderboardQuery, response: { 200: LeaderOut } } }, async (request) =>
    inTenant(request, (ctx) => {
      if (!ctx.orgId) throw notFound('No organisation selected.');
      return leaderboardView(ctx, ctx.actor.userId, request.query.period, request.query.limit);
    }),
  );
}
