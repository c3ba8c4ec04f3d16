// Hourly job: payments pending verification for longer than PAYMENT_REMINDER_HOURS remind the
// organisation's verifiers with one digest per verifier and day (the organisation's day) — the
// number waiting, the oldest ones listed — never one message per payment: a backlog of
// thousands must not become thousands of notifications and e-mails per verifier. The digest's
// dedupe key makes a repeated or concurrent run on the same day a no-op. Payments a verifier
// recorded themselves do not count for them (they may not verify those).
import { rows, sql } from '../../core/db/database.ts';
import { withAfterCommit } from '../../core/http/after-commit.ts';
import type { ServiceContext } from '../../core/http/context.ts';
import { registerJobHandler, type Job, type JobContext } from '../../core/jobs/runner.ts';
import { toCents } from '../../core/money.ts';
import { organizationToday } from '../../core/organizations/clock.ts';
import { dataId } from '../../core/notifications/present.ts';
import { usersWithPermission } from '../../core/notifications/recipients.ts';
import { notify } from '../../core/notifications/service.ts';

const LISTED = 5;

interface OldestPayment {
  id: string;
  transaction_id: string;
  received_amount: string;
  currency: string;
  deal_code: string;
  hours: number;
}

export async function remindPendingPayments(job: Job, { app, db, log }: JobContext): Promise<number> {
  const hours = app.config.paymentReminderHours;
  const orgs = await db.system((tx) =>
    rows<{ organization_id: string }>(
      tx,
      sql`SELECT DISTINCT organization_id FROM payments WHERE status = 'pending' AND created_at < now() - make_interval(hours => ${hours}::int)`,
    ),
  );
  let sent = 0;
  for (const { organization_id: orgId } of orgs) {
    sent += await withAfterCommit(app, log, (afterCommit) =>
      db.tenant({ orgId, userId: null }, async (tx) => {
        const ctx: ServiceContext = { orgId, actor: null, tx, meta: { ip: '', userAgent: 'prs-jobs', requestId: `job:${job.id}` }, afterCommit };
        const [verifiers, today] = [await usersWithPermission(tx, orgId, 'payments:verify'), await organizationToday(tx, orgId)];
        const backlog = sql`FROM payments p JOIN deals d ON d.id = p.deal_id
            WHERE p.organization_id = ${orgId} AND p.status = 'pending' AND d.deleted_at IS NULL
              AND p.created_at < now() - make_interval(hours => ${hours}::int)`;
        // The backlog is counted once, per recorder; a verifier's figure leaves out their own.
        const byRecorder = new Map(
          (await rows<{ created_by: string; n: number }>(tx, sql`SELECT p.created_by, count(*)::int AS n ${backlog} GROUP BY p.created_by`)).map((r) => [r.created_by, r.n]),
        );
        const total = [...byRecorder.values()].reduce((a, b) => a + b, 0);
        let n = 0;
        for (const verifier of verifiers) {
          const count = total - (byRecorder.get(verifier) ?? 0);
          if (!count) continue;
          const waiting = sql`${backlog} AND p.created_by <> ${verifier}`;
          const oldest = await rows<OldestPayment>(
            tx,
            sql`SELECT p.id, p.transaction_id, p.received_amount::text AS received_amount, d.currency, d.deal_code,
                       floor(extract(epoch FROM now() - p.created_at) / 3600)::int AS hours
                ${waiting} ORDER BY p.created_at, p.id LIMIT ${LISTED}`,
          );
          const first = oldest[0]!;
          const listed = oldest.map((p) => `${p.transaction_id} (${toCents(p.received_amount)} ${p.currency}, deal ${p.deal_code}, ${p.hours} h)`).join(', ');
          const created = await notify(ctx, {
            recipients: [verifier],
            type: 'payment_pending_reminder',
            priority: 'high',
            title: count === 1 ? `Payment ${first.transaction_id} is waiting for verification` : `${count} payments are waiting for verification`,
            message: `${count} payment(s) have been waiting for verification for more than ${hours} hours. Oldest: ${listed}.`,
            data: {
              pending_count: count,
              threshold_hours: hours,
              oldest_hours_pending: first.hours,
              payments: oldest.map((p) => ({ payment_id: dataId(p.id), transaction_id: p.transaction_id, amount: toCents(p.received_amount), currency: p.currency, deal_code: p.deal_code, hours_pending: p.hours })),
            },
            actionUrl: count === 1 ? `/verifier/verifier-form/${first.id}` : '/verifier',
            related: count === 1 ? { type: 'payment', id: first.id } : undefined,
            dedupeKey: `payment_pending_digest:${today}`,
          });
          n += created.length;
        }
        return n;
      }),
    );
  }
  return sent;
}

registerJobHandler(
  'payment_reminders',
  async (job, ctx) => {
    await remindPendingPayments(job, ctx);
  },
  { next: (now) => new Date(now.getTime() + 60 * 60_000) },
);
