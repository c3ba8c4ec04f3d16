// Delivery of the e-mail outbox through the job runner. Every statement that queues messages
// gets one `send_email` job for them (a database trigger adds it, whoever queued them: migration
// 0015). The handler claims its messages and marks them sent (status 'sending', sent_at) in one
// committed transaction before talking to the SMTP server, so no runner, process or retry ever
// sends one again; a failed delivery puts that message back in the queue for the job's retry.
// A process dying mid-delivery leaves its messages 'sending'.
import { rows, sql } from '../db/database.ts';
import { isId } from '../http/fields.ts';
import { registerJobHandler, type Job, type JobContext } from '../jobs/runner.ts';

interface Claimed {
  id: string;
  recipient: string;
  subject: string;
  body: string;
}

/**
 * The messages of a job: {"outbox_ids": [...]}, or {"outbox_id": ...} from before migration 0015.
 * The trigger builds the list with jsonb_agg of bigint ids, so they are JSON numbers; strings
 * are taken too.
 */
export function outboxIdsOf(job: Pick<Job, 'payload'>): string[] {
  const { outbox_ids: ids, outbox_id: id } = job.payload;
  const asId = (x: unknown): string[] => {
    const text = typeof x === 'number' && Number.isSafeInteger(x) ? String(x) : typeof x === 'string' ? x : '';
    return isId(text) ? [text] : [];
  };
  return Array.isArray(ids) ? ids.flatMap(asId) : asId(id);
}

export async function sendOutboxMessages(job: Job, { app, db }: JobContext): Promise<void> {
  const mailer = app.hasDecorator('mailer') ? app.mailer : undefined;
  const ids = outboxIdsOf(job);
  if (!mailer || !ids.length) return; // outbox mode: the messages wait for an administrator (or the sweep once SMTP is configured)
  const messages = await db.system((tx) =>
    rows<Claimed>(
      tx,
      sql`UPDATE email_outbox SET status = 'sending', sent_at = now(), attempts = attempts + 1, updated_at = now()
          WHERE id = ANY(${sql.param(ids)}::bigint[]) AND status = 'queued' RETURNING id, recipient, subject, body`,
    ),
  );
  const sent: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const message of messages) {
    try {
      await mailer.send({ to: message.recipient, subject: message.subject, text: message.body, messageId: `<${message.id}@prs.mail>` });
      sent.push(message.id);
    } catch (err) {
      failed.push({ id: message.id, error: (err as Error).message.slice(0, 1000) });
    }
  }
  const final = job.attempts >= job.maxAttempts;
  await db.system(async (tx) => {
    if (sent.length) {
      await tx.execute(sql`UPDATE email_outbox SET status = 'sent', last_error = NULL, updated_at = now() WHERE id = ANY(${sql.param(sent)}::bigint[])`);
    }
    for (const f of failed) {
      await tx.execute(sql`UPDATE email_outbox SET status = ${final ? 'failed' : 'queued'}, sent_at = NULL, last_error = ${f.error}, updated_at = now()
        WHERE id = ${f.id}`);
    }
  });
  // The job's retry (with backoff) takes the messages put back in the queue, and only them.
  if (failed.length) throw new Error(`${failed.length} of ${messages.length} message(s) not delivered: ${failed[0]!.error}`);
}

/**
 * Gives queued messages without a pending delivery job a new one: those queued while no SMTP
 * server was configured, or whose job ran out of attempts before the message was marked failed.
 */
const SWEEP_BATCH = 50;

export async function sweepOutbox(_job: Job, { app, db }: JobContext): Promise<void> {
  if (!app.hasDecorator('mailer') || !app.mailer) return;
  await db.system((tx) =>
    tx.execute(sql`INSERT INTO jobs (kind, payload, organization_id)
      SELECT 'send_email', jsonb_build_object('outbox_ids', jsonb_agg(w.id ORDER BY w.id)), w.organization_id
      FROM (
        SELECT o.id, o.organization_id, (row_number() OVER (PARTITION BY o.organization_id ORDER BY o.id) - 1) / ${SWEEP_BATCH} AS batch
        FROM email_outbox o
        WHERE o.status = 'queued' AND NOT EXISTS (
          SELECT 1 FROM jobs j WHERE j.kind = 'send_email' AND j.done_at IS NULL AND j.failed_at IS NULL
            AND (j.payload->>'outbox_id' = o.id::text OR j.payload->'outbox_ids' @> to_jsonb(o.id) OR j.payload->'outbox_ids' ? o.id::text))) w
      GROUP BY w.organization_id, w.batch`),
  );
}

/** Housekeeping: spent WebSocket tokens and finished jobs older than a week. */
export async function cleanUp(_job: Job, { db }: JobContext): Promise<void> {
  await db.system(async (tx) => {
    await tx.execute(sql`DELETE FROM ws_tokens WHERE expires_at < now() - interval '1 hour'`);
    await tx.execute(sql`DELETE FROM jobs WHERE (done_at < now() - interval '7 days') OR (failed_at < now() - interval '30 days')`);
  });
}

const inMinutes = (n: number) => (now: Date) => new Date(now.getTime() + n * 60_000);

registerJobHandler('send_email', sendOutboxMessages);
registerJobHandler('mail_sweep', sweepOutbox, { next: inMinutes(10), runOnStart: true });
registerJobHandler('maintenance', cleanUp, { next: inMinutes(60) });
