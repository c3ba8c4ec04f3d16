// E-mail: notification e-mails delivered through a REAL SMTP server started here (smtp-server,
// with authentication), once each even when two runners and repeated passes run, retried after
// a temporary failure, never re-sent after a crash mid-delivery; without SMTP an outbox that
// administrators read, delivered once SMTP is configured.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { rows, sql } from '../../src/core/db/database.ts';
import { JobRunner } from '../../src/core/jobs/runner.ts';
import { sweepOutbox } from '../../src/core/mail/delivery.ts';
import { testConfig, type TestApp } from '../support/app.ts';
import { createOrg, createSuperAdmin, type TestOrg } from '../support/identity.ts';
import { caller, dealOf, notificationsApp, recordPayment } from './helpers.ts';

interface Received {
  to: string[];
  raw: string;
}

/** A real SMTP server on a free port that requires AUTH and records what it accepts. */
class MailSink {
  readonly received: Received[] = [];
  failNext = 0;
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (auth, _session, cb) =>
        auth.username === 'mailer' && auth.password === 'Sm7p-secret' ? cb(null, { user: 'mailer' }) : cb(Object.assign(new Error('Invalid credentials'), { responseCode: 535 })),
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failNext > 0) {
            this.failNext--;
            return cb(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
          }
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  to(email: string): Received[] {
    return this.received.filter((m) => m.to.includes(email));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const sink = new MailSink();
let t: TestApp;
let org: TestOrg;
const smtpEnv = () => ({
  EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(sink.port), EMAIL_HOST_USER: 'mailer', EMAIL_HOST_PASSWORD: 'Sm7p-secret',
  EMAIL_USE_TLS: 'false', DEFAULT_FROM_EMAIL: 'PRS <notifications@prs.test>',
});

beforeAll(async () => {
  await sink.start();
  t = await notificationsApp(smtpEnv());
  org = await createOrg(t, 'Mail Org');
});
afterAll(async () => {
  await t.close();
  await sink.stop();
});

/** The jobs' `outbox_ids` are JSON numbers (jsonb_agg of the bigint ids). */
const carries = (id: string) => sql`payload->'outbox_ids' @> jsonb_build_array(${id}::bigint)`;

const outbox = (email: string) =>
  t.db.system((tx) => rows<{ id: string; status: string; sent_at: string | null; last_error: string | null; subject: string }>(tx, sql`SELECT id, status, sent_at, last_error, subject FROM email_outbox WHERE recipient = ${email} ORDER BY created_at`));

describe('SMTP delivery', () => {
  it('a payment e-mails the verifiers once, even with two runners and repeated passes', async () => {
    const deal = await dealOf(t, org.users.sales);
    const payment = await recordPayment(t, org.users.sales, deal.deal_id, '777.00');
    const other = new JobRunner(t.app);
    await Promise.all([t.app.jobRunner.runOnce(), other.runOnce(), t.app.jobRunner.runOnce()]);
    await Promise.all([t.app.jobRunner.runOnce(), other.runOnce()]);

    const mails = sink.to(org.users.verifier.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain('Subject: Payment received: 777.00 USD');
    expect(mails[0]!.raw).toContain(payment.transaction_id);
    expect(mails[0]!.raw).toMatch(/From: PRS <notifications@prs\.test>/);
    const [row] = await outbox(org.users.verifier.email);
    expect(row).toMatchObject({ status: 'sent', sent_at: expect.anything() });
    expect(mails[0]!.raw).toContain(`Message-ID: <${row!.id}@prs.mail>`);
    // Org Admins may verify too, so they are told as well; the salesperson is not.
    expect(sink.to(org.users.admin.email)).toHaveLength(1);
    expect(sink.to(org.users.sales.email)).toHaveLength(0);
  });

  it('a temporary SMTP failure is retried with backoff and still delivers once', async () => {
    const before = sink.to(org.users.verifier.email).length;
    sink.failNext = 2;
    const deal = await dealOf(t, org.users.sales);
    await recordPayment(t, org.users.sales, deal.deal_id, '12.00');
    await t.app.jobRunner.runOnce();
    expect(sink.to(org.users.verifier.email)).toHaveLength(before);
    const queued = (await outbox(org.users.verifier.email)).at(-1)!;
    expect(queued).toMatchObject({ status: 'queued', sent_at: null, last_error: expect.stringContaining('451') });
    const [job] = await t.db.system((tx) =>
      rows<{ attempts: number; later: boolean }>(tx, sql`SELECT attempts, run_at > now() AS later FROM jobs WHERE kind = 'send_email' AND ${carries(queued.id)}`),
    );
    expect(job).toEqual({ attempts: 1, later: true });
    // The outbox sweep sees the pending retry and queues no second job for the message.
    await sweepOutbox({ id: '0', kind: 'mail_sweep', payload: {}, organizationId: null, attempts: 1, maxAttempts: 8 }, { app: t.app, db: t.db, log: t.app.log });
    const [pending] = await t.db.system((tx) =>
      rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM jobs WHERE kind = 'send_email' AND done_at IS NULL AND failed_at IS NULL AND ${carries(queued.id)}`),
    );
    expect(pending).toEqual({ n: 1 });
    await t.app.jobRunner.runOnce(); // not due yet: nothing happens
    expect(sink.to(org.users.verifier.email)).toHaveLength(before);

    await t.db.system((tx) => tx.execute(sql`UPDATE jobs SET run_at = now() WHERE kind = 'send_email' AND done_at IS NULL`));
    await t.app.jobRunner.runOnce();
    await t.app.jobRunner.runOnce();
    expect(sink.to(org.users.verifier.email)).toHaveLength(before + 1);
    expect((await outbox(org.users.verifier.email)).at(-1)).toMatchObject({ status: 'sent', last_error: null });
  });

  it('a message claimed by a process that died is not sent again', async () => {
    const deal = await dealOf(t, org.users.sales);
    await recordPayment(t, org.users.sales, deal.deal_id, '13.00');
    const message = (await outbox(org.users.verifier.email)).at(-1)!;
    // As if a runner claimed it, marked it sending and died: its lease has run out.
    await t.db.system(async (tx) => {
      await tx.execute(sql`UPDATE email_outbox SET status = 'sending', sent_at = now() WHERE id = ${message.id}`);
      await tx.execute(sql`UPDATE jobs SET locked_by = 'dead-worker', locked_until = now() - interval '1 second', attempts = 1 WHERE ${carries(message.id)}`);
    });
    const count = sink.received.length;
    await t.app.jobRunner.runOnce();
    expect(sink.received.filter((m) => m.raw.includes(`Message-ID: <${message.id}@prs.mail>`))).toHaveLength(0);
    expect(sink.received.length - count).toBe(1); // the admin's copy, which nobody had claimed
    const [job] = await t.db.system((tx) => rows<{ done: boolean }>(tx, sql`SELECT done_at IS NOT NULL AS done FROM jobs WHERE ${carries(message.id)}`));
    expect(job).toEqual({ done: true });
  });
});

describe('without SMTP: the outbox', () => {
  let o: TestApp;
  let oo: TestOrg;
  beforeAll(async () => {
    o = await notificationsApp();
    oo = await createOrg(o, 'Outbox Org');
  });
  afterAll(() => o.close());

  it('keeps messages for administrators to read, and sends them once SMTP is configured', async () => {
    const call = caller(o);
    const deal = await dealOf(o, oo.users.sales);
    await recordPayment(o, oo.users.sales, deal.deal_id, '55.00');
    await o.app.jobRunner.runOnce();

    const view = await call('GET', '/api/notifications/outbox/?status=queued', oo.users.admin.token);
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json()).toMatchObject({ smtp_configured: false, count: 2 });
    expect(view.json().results.map((m: { recipient: string }) => m.recipient).sort()).toEqual([oo.users.admin.email, oo.users.verifier.email].sort());
    expect(view.json().results[0]).toMatchObject({ status: 'queued', subject: 'Payment received: 55.00 USD', sent_at: null, body: expect.stringContaining('55.00 USD') });
    // Ids are JSON integers; the recipient is the address.
    expect(view.json().results[0]).toMatchObject({ id: expect.any(Number), organization: Number(oo.id), notification_id: expect.any(Number), recipient: expect.stringContaining('@') });
    expect((await call('GET', '/api/notifications/outbox/', oo.users.sales.token)).statusCode).toBe(403);
    expect((await call('GET', '/api/notifications/outbox/', oo.users.verifier.token)).statusCode).toBe(403);
    expect((await call('GET', '/api/notifications/outbox/?status=lost', oo.users.admin.token)).statusCode).toBe(400);
    const root = await createSuperAdmin(o);
    expect((await call('GET', '/api/notifications/outbox/', root.token)).json().count).toBeGreaterThanOrEqual(2);

    // A second process with SMTP configured, on the same database, delivers what waited.
    const config = testConfig(smtpEnv());
    const mailing = await buildApp({ config, db: o.db, logger: false });
    await mailing.ready();
    try {
      await mailing.jobRunner.runOnce();
      await mailing.jobRunner.runOnce();
      await mailing.jobRunner.runOnce();
    } finally {
      await mailing.close();
    }
    expect(sink.to(oo.users.verifier.email)).toHaveLength(1);
    expect((await call('GET', '/api/notifications/outbox/?status=sent', oo.users.admin.token)).json().count).toBe(2);
  });
});
