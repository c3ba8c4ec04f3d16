// The durable job runner: handlers registered by kind, claimed once, retried with backoff, failed
// for good after max attempts, recurring kinds rescheduled, jobs of a dead process taken over
// after their lease, start/stop; and the reminder job for payments pending verification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { backoffSeconds, enqueueJob, JobRunner, registerJobHandler } from '../../src/core/jobs/runner.ts';
import type { TestApp } from '../support/app.ts';
import { createOrg, type TestOrg } from '../support/identity.ts';
import { dealOf, notificationsApp, notificationsOf, recordPayment, sleep } from './helpers.ts';

let t: TestApp;
let org: TestOrg;
const calls: Record<string, number> = {};
let flaky = 0;

registerJobHandler('test_echo', async (job) => {
  const key = String(job.payload.key);
  calls[key] = (calls[key] ?? 0) + 1;
});
registerJobHandler('test_flaky', async () => {
  if (flaky-- > 0) throw new Error('not yet');
}, { maxAttempts: 3 });
registerJobHandler('test_recurring', async () => {
  calls.recurring = (calls.recurring ?? 0) + 1;
}, { next: (now) => new Date(now.getTime() + 3_600_000) });

beforeAll(async () => {
  t = await notificationsApp({ PAYMENT_REMINDER_HOURS: '2' });
  org = await createOrg(t, 'Jobs Org');
});
afterAll(() => t.close());

const enqueue = (kind: string, payload: Record<string, unknown> = {}, options: Parameters<typeof enqueueJob>[3] = {}) =>
  t.db.system((tx) => enqueueJob(tx, kind, payload, options));
const job = async (where: ReturnType<typeof sql>) => {
  const [row] = await t.db.system((tx) =>
    rows<{ id: string; attempts: number; done: boolean; failed: boolean; due_later: boolean; last_error: string | null }>(
      tx,
      sql`SELECT id, attempts, done_at IS NOT NULL AS done, failed_at IS NOT NULL AS failed, run_at > now() AS due_later, last_error FROM jobs WHERE ${where} ORDER BY created_at DESC LIMIT 1`,
    ),
  );
  return row!;
};

describe('job runner', () => {
  it('runs a due job once, even with two runners; a future job waits; a dedupe key keeps one pending', async () => {
    await enqueue('test_echo', { key: 'a' });
    await enqueue('test_echo', { key: 'later' }, { runAt: new Date(Date.now() + 60_000) });
    await enqueue('test_echo', { key: 'dup' }, { dedupeKey: 'only-one' });
    await enqueue('test_echo', { key: 'dup' }, { dedupeKey: 'only-one' });
    const second = new JobRunner(t.app);
    await Promise.all([t.app.jobRunner.runOnce(), second.runOnce()]);
    await second.runOnce();
    expect(calls).toMatchObject({ a: 1, dup: 1 });
    expect(calls.later).toBeUndefined();
    expect(await job(sql`payload->>'key' = 'a'`)).toMatchObject({ attempts: 1, done: true });
  });

  it('retries a failing job with exponential backoff, then fails it for good after max attempts', async () => {
    expect([1, 2, 3, 20].map(backoffSeconds)).toEqual([5, 10, 20, 3600]);
    flaky = 1;
    await enqueue('test_flaky', {}, { maxAttempts: 3 });
    await t.app.jobRunner.runOnce();
    expect(await job(sql`kind = 'test_flaky'`)).toMatchObject({ attempts: 1, done: false, due_later: true, last_error: 'not yet' });
    await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET run_at = now() WHERE kind = 'test_flaky'`));
    await t.app.jobRunner.runOnce();
    expect(await job(sql`kind = 'test_flaky'`)).toMatchObject({ attempts: 2, done: true, last_error: null });

    flaky = 10;
    await enqueue('test_flaky', { n: 2 }, { maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET run_at = now() WHERE kind = 'test_flaky' AND done_at IS NULL AND failed_at IS NULL`));
      await t.app.jobRunner.runOnce();
    }
    expect(await job(sql`kind = 'test_flaky' AND payload->>'n' = '2'`)).toMatchObject({ attempts: 2, failed: true, done: false });
    await enqueue('no_such_kind');
    await t.app.jobRunner.runOnce();
    expect((await job(sql`kind = 'no_such_kind'`)).last_error).toMatch(/no handler/);
  });

  it('keeps one pending run of a recurring kind and schedules the next after each run', async () => {
    const fresh = new JobRunner(t.app);
    await fresh.runOnce();
    await fresh.runOnce();
    expect(calls.recurring).toBe(1);
    const pending = await t.db.system((tx) =>
      rows<{ later: boolean }>(tx, sql`SELECT run_at > now() + interval '50 minutes' AS later FROM jobs WHERE kind = 'test_recurring' AND done_at IS NULL AND failed_at IS NULL`),
    );
    expect(pending).toEqual([{ later: true }]);
  });

  it('takes over the job of a process that died once its lease has run out (jobs survive restarts)', async () => {
    await enqueue('test_echo', { key: 'orphan' });
    await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET locked_by = 'dead', locked_until = now() + interval '1 hour', attempts = 1 WHERE payload->>'key' = 'orphan'`));
    await t.app.jobRunner.runOnce();
    expect(calls.orphan).toBeUndefined(); // the lease still holds
    await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE payload->>'key' = 'orphan'`));
    const restarted = new JobRunner(t.app);
    await restarted.runOnce();
    expect(calls.orphan).toBe(1);
    expect(await job(sql`payload->>'key' = 'orphan'`)).toMatchObject({ attempts: 2, done: true });
  });

  it('start() polls and wake() runs new work at once; stop() ends polling', async () => {
    const runner = new JobRunner(t.app, { pollIntervalMs: 60_000 });
    runner.start();
    await sleep(200);
    await enqueue('test_echo', { key: 'woken' });
    runner.wake();
    for (let i = 0; i < 50 && !calls.woken; i++) await sleep(20);
    expect(calls.woken).toBe(1);
    await runner.stop();
    expect(runner.isRunning).toBe(false);
    await enqueue('test_echo', { key: 'after-stop' });
    runner.wake();
    await sleep(100);
    expect(calls['after-stop']).toBeUndefined();
  });
});

describe('reminders for payments pending verification', () => {
  it('remind each verifier with one digest a day, not the recorder, only after the threshold', async () => {
    const deal = await dealOf(t, org.users.sales);
    const old = await recordPayment(t, org.users.sales, deal.deal_id, '40.00');
    const fresh = await recordPayment(t, org.users.sales, deal.deal_id, '41.00');
    await t.db.system((tx) => tx.execute(sql`UPDATE payments SET created_at = now() - interval '3 hours' WHERE id = ${old.id}`));
    await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET run_at = now() WHERE kind = 'payment_reminders' AND done_at IS NULL`));
    await t.app.jobRunner.runOnce();
    await enqueue('payment_reminders', {}, { dedupeKey: 'manual-reminder-run' });
    await t.app.jobRunner.runOnce();

    const reminders = (await notificationsOf(t, org.users.verifier.id)).filter((n) => n.notification_type === 'payment_pending_reminder');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({ priority: 'high', title: `Payment ${old.transaction_id} is waiting for verification`, data: expect.objectContaining({ pending_count: 1 }) });
    expect(reminders[0]!.data.payments).toEqual([expect.objectContaining({ payment_id: old.id, hours_pending: 3 })]);
    expect((reminders[0]!.data.payments as { payment_id: number }[]).map((p) => p.payment_id)).not.toContain(fresh.id);
    expect((await notificationsOf(t, org.users.sales.id)).filter((n) => n.notification_type === 'payment_pending_reminder')).toEqual([]);

    // A backlog is one digest per verifier and day, however many payments wait.
    const backlog = await Promise.all(['42.00', '43.00', '44.00'].map((a) => recordPayment(t, org.users.sales, deal.deal_id, a)));
    await t.db.system((tx) => tx.execute(sql`UPDATE payments SET created_at = now() - interval '30 hours' WHERE id IN (${sql.join(backlog.map((p) => sql`${p.id}`), sql`, `)})`));
    await t.db.system((tx) => tx.execute(sql`DELETE FROM notifications WHERE notification_type = 'payment_pending_reminder'`));
    await enqueue('payment_reminders', {}, { dedupeKey: 'backlog-run' });
    await t.app.jobRunner.runOnce();
    await enqueue('payment_reminders', {}, { dedupeKey: 'backlog-run-again' });
    await t.app.jobRunner.runOnce();
    const digest = (await notificationsOf(t, org.users.verifier.id)).filter((n) => n.notification_type === 'payment_pending_reminder');
    expect(digest).toHaveLength(1);
    expect(digest[0]).toMatchObject({ title: '4 payments are waiting for verification', data: expect.objectContaining({ pending_count: 4, oldest_hours_pending: 30 }) });
    expect((digest[0]!.data.payments as { payment_id: string }[]).map((p) => p.payment_id).slice(0, 3).sort()).toEqual(backlog.map((p) => p.id).sort());
  });
});
