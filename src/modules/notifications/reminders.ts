// Hourly job: payments pending verification for longer than PAYMENT_REMINDER_HOURS remind the
// organisation's verifiers, once per payment and day (the organisation's day): the reminder's
// dedupe key makes a repeated or concurrent run a no-op.
import { rows, sql } from '../../db/database.ts';
import { withAfterCommit } from '../../http/after-commit.ts';
import type { ServiceContext } from '../../http/context.ts';
import { registerJobHandler, type Job, type JobContext } from '../../jobs/runner.ts';
import { toCents } from '../../money.ts';
import { organizationToday } from '../organizations/clock.ts';
import { verifiersOf } from './recipients.ts';
import { notify } from './service.ts';

interface PendingPayment {
  id: string;
  transaction_id: string;
  received_amount: string;
  currency: string;
  deal_id: string;
  deal_code: string;
  created_by: string;
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
        const pending = await rows<PendingPayment>(
          tx,
          sql`SELECT p.id, p.transaction_id, p.received_amount::text AS received_amount, d.currency, d.id AS deal_id, d.deal_code, p.created_by,
                     floor(extract(epoch FROM now() - p.created_at) / 3600)::int AS hours
              FROM payments p JOIN deals d ON d.id = p.deal_id
              WHERE p.organization_id = ${orgId} AND p.status = 'pending' AND d.deleted_at IS NULL
                AND p.created_at < now() - make_interval(hours => ${hours}::int)
              ORDER BY p.created_at`,
        );
        if (!pending.length) return 0;
        const [verifiers, today] = [await verifiersOf(tx, orgId), await organizationToday(tx, orgId)];
        let n = 0;
        for (const p of pending) {
          const created = await notify(ctx, {
            recipients: verifiers.filter((v) => v !== p.created_by),
            type: 'payment_pending_reminder',
            priority: 'high',
            title: `Payment ${p.transaction_id} is waiting for verification`,
            message: `Payment ${p.transaction_id} of ${toCents(p.received_amount)} ${p.currency} on deal ${p.deal_code} has been waiting for verification for ${p.hours} hours.`,
            data: { payment_id: p.id, transaction_id: p.transaction_id, amount: toCents(p.received_amount), currency: p.currency, deal_id: p.deal_id, deal_code: p.deal_code, hours_pending: p.hours },
            actionUrl: `/verifier/verifier-form/${p.id}`,
            related: { type: 'payment', id: p.id },
            dedupeKey: `payment_pending:${p.id}:${today}`,
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
