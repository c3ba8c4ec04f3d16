// Delivery of the e-mail outbox through the job runner. Every outbox row gets a `send_email` job
// (a database trigger adds it, whoever queued the message). The handler claims the message and
// marks it sent (status 'sending', sent_at) in one committed transaction before talking to the
// SMTP server, so no runner, process or retry ever sends it again; a failed delivery puts it
// back in the queue for the job's retry. A process dying mid-delivery leaves it 'sending'.
import { rows, sql } from '../db/database.ts';
import { registerJobHandler, type Job, type JobContext } from '../jobs/runner.ts';

interface Claimed {
  id: string;
  recipient: string;
  subject: string;
  body: string;
}

export async function sendOutboxMessage(job: Job, { app, db }: JobContext): Promise<void> {
  const mailer = app.hasDecorator('mailer') ? app.mailer : undefined;
  const outboxId = typeof job.payload.outbox_id === 'string' ? job.payload.outbox_id : undefined;
  if (!mailer || !outboxId) return; // outbox mode: the message waits for an administrator (or the sweep once SMTP is configured)
  const [message] = await db.system((tx) =>
    rows<Claimed>(
      tx,
      sql`UPDATE email_outbox SET status = 'sending', sent_at = now(), attempts = attempts + 1, updated_at = now()
          WHERE id = ${outboxId} AND status = 'queued' RETURNING id, recipient, subject, body`,
    ),
  );
  if (!message) return; // already sent (or being sent) by someone else, or gone
  try {
    await mailer.send({ to: message.recipient, subject: message.subject, text: message.body, messageId: `<${message.id}@prs.mail>` });
  } catch (err) {
    const final = job.attempts >= job.maxAttempts;
    await db.system((tx) =>
      tx.execute(sql`UPDATE email_outbox SET status = ${final ? 'failed' : 'queued'}, sent_at = NULL, last_error = ${(err as Error).message.slice(0, 1000)},
        updated_at = now() WHERE id = ${message.id}`),
    );
    throw err;
  }
  await db.system((tx) => tx.execute(sql`UPDATE email_outbox SET status = 'sent', last_error = NULL, updated_at = now() WHERE id = ${message.id}`));
}

/**
 * Gives queued messages without a pending delivery job a new one: those queued while no SMTP
 * server was configured, or whose job ran out of attempts before the message was marked failed.
 */
export async function sweepOutbox(_job: Job, { app, db }: JobContext): Promise<void> {
  if (!app.hasDecorator('mailer') || !app.mailer) return;
  await db.system((tx) =>
    tx.execute(sql`INSERT INTO jobs (kind, payload, organization_id)
      SELECT 'send_email', jsonb_build_object('outbox_id', o.id), o.organization_id FROM email_outbox o
      WHERE o.status = 'queued' AND NOT EXISTS (
        SELECT 1 FROM jobs j WHERE j.kind = 'send_email' AND j.payload->>'outbox_id' = o.id::text AND j.done_at IS NULL AND j.failed_at IS NULL)`),
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

registerJobHandler('send_email', sendOutboxMessage);
registerJobHandler('mail_sweep', sweepOutbox, { next: inMinutes(10), runOnStart: true });
registerJobHandler('maintenance', cleanUp, { next: inMinutes(60) });
