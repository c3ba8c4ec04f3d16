// Midnight streak roll-over. When an organisation's day ends (in its time zone), that day's
// streak records are finalised: recomputed from the deals, and every user whose run of
// qualifying days did not continue into it gets a break record (0 deals, streak 0), so the
// history shows where each streak ended (repo.ts: finaliseDay).
//
// Design: two kinds of durable job (src/core/jobs/runner.ts).
// - `streak_rollover_sweep`, recurring at every quarter hour (every time zone's midnight falls
//   on one) and brought forward when a runner starts: it enqueues one `streak_rollover` job per
//   organisation and ended, unfinalised day, up to CATCH_UP_DAYS back, so a process that was
//   down catches up every day it missed, oldest first.
// - `streak_rollover` {date}, keyed `streak_rollover:<org>:<date>`: the key keeps one pending
//   job per day; the `streak_rollovers` row written in the finalising transaction makes a second
//   run of the same day (another process, a re-enqueue after completion) do nothing.
import type { Database, Tx } from '../../core/db/database.ts';
import { enqueueJob, registerJobHandler, type Job, type JobContext } from '../../core/jobs/runner.ts';
import { organizationToday } from '../../core/organizations/clock.ts';
import * as repo from './repo.ts';

export const ROLLOVER_JOB = 'streak_rollover';
export const SWEEP_JOB = 'streak_rollover_sweep';
/** How far back a sweep catches up; older unfinalised days stay so (their runs are unaffected). */
export const CATCH_UP_DAYS = 31;
const KEY_PREFIX = `${ROLLOVER_JOB}:`;
const QUARTER_HOUR_MS = 15 * 60_000;

export const rolloverKey = (orgId: string, date: string): string => `${KEY_PREFIX}${orgId}:${date}`;

/** The next quarter hour strictly after `now`: local midnights of every time zone fall on one. */
export const nextQuarterHour = (now: Date): Date => new Date((Math.floor(now.getTime() / QUARTER_HOUR_MS) + 1) * QUARTER_HOUR_MS);

/** Queues the roll-over of one day of one organisation (a no-op while one is pending). */
export function enqueueRollover(tx: Tx, orgId: string, date: string): Promise<void> {
  return enqueueJob(tx, ROLLOVER_JOB, { date }, { organizationId: orgId, dedupeKey: rolloverKey(orgId, date) });
}

/** Enqueues every ended, unfinalised day of every organisation. Returns how many days it found. */
export async function sweepRollovers(db: Database): Promise<number> {
  return db.system(async (tx) => {
    const due = await repo.daysToFinalise(tx, CATCH_UP_DAYS, KEY_PREFIX);
    for (const d of due) await enqueueRollover(tx, d.organization_id, d.date);
    return due.length;
  });
}

/** Finalises the day of a `streak_rollover` job. Returns false when there was nothing to do. */
export async function rollOverDay(job: Job, { db, log }: Pick<JobContext, 'db' | 'log'>): Promise<boolean> {
  const orgId = job.organizationId;
  const date = typeof job.payload.date === 'string' ? job.payload.date : '';
  if (!orgId || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('streak_rollover needs an organisation and a YYYY-MM-DD date');
  return db.tenant({ orgId, userId: null }, async (tx) => {
    // A day is final only once it has ended; a sweep enqueues it again when it has.
    if (date >= (await organizationToday(tx, orgId))) {
      log.warn({ orgId, date }, 'streak roll-over of a day that has not ended; skipped');
      return false;
    }
    return repo.finaliseDay(tx, orgId, date);
  });
}

registerJobHandler(ROLLOVER_JOB, async (job, ctx) => {
  await rollOverDay(job, ctx);
});

registerJobHandler(
  SWEEP_JOB,
  async (_job, ctx) => {
    await sweepRollovers(ctx.db);
  },
  { next: nextQuarterHour, runOnStart: true },
);
