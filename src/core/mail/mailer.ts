// Outgoing e-mail over SMTP (nodemailer) when EMAIL_HOST is configured. Without it there is no
// mailer: messages stay in the outbox, where administrators read them.
import type { Transporter } from 'nodemailer';
import type { Config } from '../config.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Stable per message, so a receiving server can recognise a repeat. */
  messageId: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function createMailer(config: Config): Mailer | undefined {
  const smtp = config.smtp;
  if (!smtp) return undefined;
  // nodemailer is loaded with the first message sent (~3 MB that an outbox-only process never uses).
  let transport: Promise<Transporter> | undefined;
  const open = () => (transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    // EMAIL_USE_SSL (or port 465): TLS from the first byte; EMAIL_USE_TLS: STARTTLS is required.
    secure: smtp.useSsl || smtp.port === 465,
    requireTLS: smtp.useTls,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  })));
  return {
    async send(mail) {
      await (await open()).sendMail({ from: config.defaultFromEmail, to: mail.to, subject: mail.subject, text: mail.text, messageId: mail.messageId });
    },
    close() {
      void transport?.then((t) => t.close());
    },
  };
}
