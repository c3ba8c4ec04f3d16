// SQL for streaks. The incremental path (some days of one user) and the full rebuild (a whole
// organisation) share the same day aggregate and the same run computation, so they always agree.
// The midnight roll-over (rollover.ts) finalises a day with the same statements.
//
// A day qualifies when the user has, with that deal_date, at least one verified deal whose value
// in the organisation's currency is above the organisation's minimum
// (`organizations.settings.streak_min_deal_value`, default 100). A deal in another currency is
// converted at the rate in force on its deal date; without a recorded rate it cannot qualify.
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';

export const DEFAULT_MIN_DEAL_VALUE = '100';

const MIN_VALUE = sql`CASE WHEN (o.settings->>'streak_min_deal_value') ~ '^[0-9]{1,14}(\\.[0-9]+)?$'
  THEN (o.settings->>'streak_min_deal_value')::numeric ELSE ${DEFAULT_MIN_DEAL_VALUE}::numeric END`;

/** Per (user, deal_date) of the organisation's deals matching `filter`. */
function dayAggregates(orgId: string, filter: SQL): SQL {
  return sql`
    SELECT d.created_by AS user_id, d.deal_date AS date,
           count(*) FILTER (WHERE d.verification_status = 'verified')::int AS deals_closed,
           COALESCE(round(sum(v.value) FILTER (WHERE d.verification_status = 'verified'), 2), 0) AS total_value,
           COALESCE(bool_or(d.verification_status = 'verified' AND v.value > ${MIN_VALUE}), false) AS qualifying
    FROM deals d JOIN organizations o ON o.id = d.organization_id
    CROSS JOIN LATERAL (SELECT d.deal_value * app.fx_rate(d.organization_id, d.currency, o.currency, d.deal_date) AS value) v
    WHERE d.organization_id = ${orgId} AND d.deleted_at IS NULL AND ${filter}
    GROUP BY d.created_by, d.deal_date`;
}

async function upsertDays(tx: Tx, orgId: string, filter: SQL): Promise<void> {
  await tx.execute(sql`
    INSERT INTO daily_streak_records (organization_id, user_id, date, deals_closed, total_value, qualifying)
    SELECT ${orgId}, a.user_id, a.date, a.deals_closed, a.total_value, a.qualifying FROM (${dayAggregates(orgId, filter)}) a
    ON CONFLICT (organization_id, user_id, date) DO UPDATE SET deals_closed = EXCLUDED.deals_closed, total_value = EXCLUDED.total_value,
      qualifying = EXCLUDED.qualifying, updated_at = now()
    WHERE (daily_streak_records.deals_closed, daily_streak_records.total_value, daily_streak_records.qualifying)
      IS DISTINCT FROM (EXCLUDED.deals_closed, EXCLUDED.total_value, EXCLUDED.qualifying)`);
}

/** Each record's streak = the run of consecutive qualifying days ending on its date (0 if it does not qualify). */
async function recomputeRuns(tx: Tx, orgId: string, userId: string | null): Promise<void> {
  const user = userId ? sql`AND user_id = ${userId}` : sql``;
  await tx.execute(sql`
    WITH q AS (
      SELECT id, user_id, date, date - (row_number() OVER (PARTITION BY user_id ORDER BY date))::int AS island
      FROM daily_streak_records WHERE organization_id = ${orgId} ${user} AND qualifying),
    runs AS (SELECT id, (row_number() OVER (PARTITION BY user_id, island ORDER BY date))::int AS streak FROM q),
    target AS (
      SELECT r.id, COALESCE(runs.streak, 0) AS streak FROM daily_streak_records r LEFT JOIN runs ON runs.id = r.id
      WHERE r.organization_id = ${orgId} ${userId ? sql`AND r.user_id = ${userId}` : sql``})
    UPDATE daily_streak_records r SET streak = target.streak, updated_at = now()
    FROM target WHERE r.id = target.id AND r.streak <> target.streak`);
}

/**
 * Records of days without deals. Only one kind may exist: the break record (0 deals, not
 * qualifying, streak 0) of a finalised day (streak_rollovers) that follows a qualifying day,
 * marking where the run ended. Brings them in line for `userId` (null: everyone) on `days` and
 * the days after them (null: every day), after the day aggregates were written: any other
 * deal-less record goes (a day whose last deal was deleted keeps no stale figures), missing
 * break records are added.
 */
async function syncBreaks(tx: Tx, orgId: string, userId: string | null, days: string[] | null): Promise<void> {
  const list = days ? sql.param(days) : null;
  const near = (col: SQL) => (list ? sql`AND (${col} = ANY(${list}::date[]) OR ${col} - 1 = ANY(${list}::date[]))` : sql``);
  await tx.execute(sql`
    DELETE FROM daily_streak_records r WHERE r.organization_id = ${orgId} ${userId ? sql`AND r.user_id = ${userId}` : sql``} ${near(sql`r.date`)}
      AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.organization_id = ${orgId} AND d.created_by = r.user_id AND d.deal_date = r.date AND d.deleted_at IS NULL)
      AND NOT (r.deals_closed = 0 AND r.total_value = 0 AND NOT r.qualifying
        AND EXISTS (SELECT 1 FROM streak_rollovers l WHERE l.organization_id = ${orgId} AND l.date = r.date)
        AND EXISTS (SELECT 1 FROM daily_streak_records p WHERE p.organization_id = ${orgId} AND p.user_id = r.user_id AND p.date = r.date - 1 AND p.qualifying))`);
  await tx.execute(sql`
    INSERT INTO daily_streak_records (organization_id, user_id, date)
    SELECT ${orgId}, p.user_id, l.date FROM streak_rollovers l
    JOIN daily_streak_records p ON p.organization_id = l.organization_id AND p.date = l.date - 1 AND p.qualifying
    WHERE l.organization_id = ${orgId} ${userId ? sql`AND p.user_id = ${userId}` : sql``} ${near(sql`l.date`)}
    ON CONFLICT (organization_id, user_id, date) DO NOTHING`);
}

/** Brings the records of `userId` on `dates` up to date, then the runs that follow them. */
export async function refreshDays(tx: Tx, orgId: string, userId: string, dates: string[]): Promise<void> {
  if (!dates.length) return;
  const days = sql.param(dates);
  await upsertDays(tx, orgId, sql`d.created_by = ${userId} AND d.deal_date = ANY(${days}::date[])`);
  await syncBreaks(tx, orgId, userId, dates);
  await recomputeRuns(tx, orgId, userId);
}

/**
 * Finalises one ended day of the organisation: records the day as finalised (false, doing
 * nothing, when it already was), recomputes its records from the deals (catching what no hook
 * reports, such as a changed minimum), writes the break records of runs that ended with it.
 */
export async function finaliseDay(tx: Tx, orgId: string, date: string): Promise<boolean> {
  const claimed = await rows<{ date: string }>(
    tx,
    sql`INSERT INTO streak_rollovers (organization_id, date) VALUES (${orgId}, ${date}::date) ON CONFLICT DO NOTHING RETURNING date`,
  );
  if (!claimed.length) return false;
  await upsertDays(tx, orgId, sql`d.deal_date = ${date}::date`);
  await syncBreaks(tx, orgId, null, [date]);
  await recomputeRuns(tx, orgId, null);
  return true;
}

/** Rebuilds every record of the organisation from its deals and finalised days. Returns the number of records. */
export async function rebuildOrganization(tx: Tx, orgId: string): Promise<number> {
  await tx.execute(sql`DELETE FROM daily_streak_records WHERE organization_id = ${orgId}`);
  await upsertDays(tx, orgId, sql`true`);
  await syncBreaks(tx, orgId, null, null);
  await recomputeRuns(tx, orgId, null);
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM daily_streak_records WHERE organization_id = ${orgId}`);
  return c?.n ?? 0;
}

/** The current streak: the run ending today or, if today does not qualify (yet), yesterday. */
export const currentStreakOf = (orgId: string, userRef: SQL, today: string) => sql`
  COALESCE((SELECT r.streak FROM daily_streak_records r WHERE r.organization_id = ${orgId} AND r.user_id = ${userRef} AND r.qualifying
    AND r.date IN (${today}::date, ${today}::date - 1) ORDER BY r.date DESC LIMIT 1), 0)`;

export interface StreakStats {
  current_streak: number;
  longest_streak: number;
  total_days_tracked: number;
  qualifying_days: number;
  deals_last_7_days: number;
}

export async function statsOf(tx: Tx, orgId: string, userId: string, today: string): Promise<StreakStats> {
  const [row] = await rows<StreakStats>(
    tx,
    sql`SELECT ${currentStreakOf(orgId, sql`${userId}::bigint`, today)}::int AS current_streak,
               COALESCE(max(streak), 0)::int AS longest_streak, count(*)::int AS total_days_tracked,
               count(*) FILTER (WHERE qualifying)::int AS qualifying_days,
               COALESCE(sum(deals_closed) FILTER (WHERE date > ${today}::date - 7 AND date <= ${today}::date), 0)::int AS deals_last_7_days
        FROM daily_streak_records WHERE organization_id = ${orgId} AND user_id = ${userId}`,
  );
  return row!;
}

export interface DayRecord {
  date: string;
  deals_closed: number;
  total_value: string;
  qualifying: boolean;
  streak: number;
}

export function recordsBetween(tx: Tx, orgId: string, userId: string, from: string, to: string): Promise<DayRecord[]> {
  return rows<DayRecord>(
    tx,
    sql`SELECT to_char(date, 'YYYY-MM-DD') AS date, deals_closed, total_value::text AS total_value, qualifying, streak
        FROM daily_streak_records WHERE organization_id = ${orgId} AND user_id = ${userId} AND date BETWEEN ${from}::date AND ${to}::date
        ORDER BY date DESC`,
  );
}

export interface LeaderRow {
  user_id: string;
  full_name: string;
  email: string;
  current_streak: number;
  longest_streak: number;
  deals_closed: number;
  sales_total: string;
}

/**
 * Active members who are salespeople or have streak records, by current streak, then longest,
 * then name. Deals and sales (organisation currency) count the records within [from, to].
 */
export function leaderboard(tx: Tx, orgId: string, today: string, from: string | null, to: string): Promise<LeaderRow[]> {
  const inRange = from ? sql`r.date BETWEEN ${from}::date AND ${to}::date` : sql`r.date <= ${to}::date`;
  return rows<LeaderRow>(
    tx,
    sql`SELECT u.id AS user_id, COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.email) AS full_name, u.email,
               ${currentStreakOf(orgId, sql`u.id`, today)}::int AS current_streak,
               COALESCE((SELECT max(r.streak) FROM daily_streak_records r WHERE r.organization_id = ${orgId} AND r.user_id = u.id), 0)::int AS longest_streak,
               COALESCE((SELECT sum(r.deals_closed) FROM daily_streak_records r WHERE r.organization_id = ${orgId} AND r.user_id = u.id AND ${inRange}), 0)::int AS deals_closed,
               COALESCE((SELECT sum(r.total_value) FROM daily_streak_records r WHERE r.organization_id = ${orgId} AND r.user_id = u.id AND ${inRange}), 0)::text AS sales_total
        FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN roles ro ON ro.id = m.role_id
        WHERE m.organization_id = ${orgId} AND m.is_active AND u.is_active
          AND (ro.name ILIKE '%sales%' OR EXISTS (SELECT 1 FROM daily_streak_records r WHERE r.organization_id = ${orgId} AND r.user_id = u.id))
        ORDER BY current_streak DESC, longest_streak DESC, lower(COALESCE(NULLIF(trim(u.first_name || ' ' || u.last_name), ''), u.email)), u.id`,
  );
}

/**
 * Ended days not yet finalised, per active organisation, in its own time zone: from the later of
 * its creation day and `catchUpDays` ago, up to yesterday. Days whose roll-over job failed for
 * good (`dedupeKey`) are left out. Needs system scope (every organisation).
 */
export function daysToFinalise(tx: Tx, catchUpDays: number, keyPrefix: string): Promise<{ organization_id: string; date: string }[]> {
  return rows(
    tx,
    sql`SELECT o.id AS organization_id, to_char(w.first + g.i, 'YYYY-MM-DD') AS date
        FROM organizations o
        CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE o.time_zone)::date AS today, (o.created_at AT TIME ZONE o.time_zone)::date AS born) t
        CROSS JOIN LATERAL (SELECT GREATEST(t.born, t.today - ${catchUpDays}::int) AS first, t.today - 1 AS last) w
        CROSS JOIN LATERAL generate_series(0, w.last - w.first) AS g(i)
        WHERE o.is_active
          AND NOT EXISTS (SELECT 1 FROM streak_rollovers l WHERE l.organization_id = o.id AND l.date = w.first + g.i)
          AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.failed_at IS NOT NULL AND j.dedupe_key IS NOT NULL
            AND j.dedupe_key = ${keyPrefix} || o.id::text || ':' || to_char(w.first + g.i, 'YYYY-MM-DD'))
        ORDER BY w.first + g.i, o.id`,
  );
}
