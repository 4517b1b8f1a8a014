/**
 * Email over SMTP with nodemailer. SMTP_URL set → SMTP (npm start points it at the local mail catcher with a web
 * viewer, src/devstack/mail.ts); unset → a transport that only logs what it would have sent.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Config } from '../config.js';
import { pseudonym, type Logger } from '../logger.js';
import type { RenderedEmail } from '../domain/messaging/contracts.js';

export interface Mailer {
  /** 'smtp' delivers; 'log' only writes the message to the log (no SMTP_URL configured). */
  kind: 'smtp' | 'log';
  from: string;
  send(message: SendMailOptions): Promise<{ messageId: string }>;
  close(): void;
}

export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>, log?: Logger): Mailer {
  if (config.SMTP_URL) {
    const transport = nodemailer.createTransport(config.SMTP_URL);
    return {
      kind: 'smtp',
      from: config.MAIL_FROM,
      async send(message) {
        const info = await transport.sendMail(message);
        return { messageId: info.messageId };
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: 'log',
    from: config.MAIL_FROM,
    async send(message) {
      const info = await transport.sendMail(message);
      log?.info({ to: typeof message.to === 'string' ? pseudonym(message.to, 'email') : '[redacted]', subject: message.subject, messageId: info.messageId }, 'SMTP_URL not set: email not sent');
      log?.debug({ text: message.text }, 'email text');
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/** A send that did not go through. `permanent`: the recipient is refused (SMTP 5xx); retrying cannot help. */
export class EmailSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmailSendError';
  }
}

/**
 * Permanent: the server answered 5xx to the envelope or the message (unknown mailbox, rejected content), except
 * authentication (535, EAUTH: our configuration, fixed by an operator, then the retry succeeds).
 * Transient: 4xx (greylisting, mailbox full for now), connection, TLS, DNS and timeout errors.
 */
export function classifyEmailError(error: unknown): EmailSendError {
  if (error instanceof EmailSendError) return error;
  const e = (error ?? {}) as { code?: string; responseCode?: number; message?: string };
  const message = e.message ?? String(error);
  const permanent = e.code !== 'EAUTH' && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
  return new EmailSendError(message, permanent, e.responseCode, { cause: error });
}

export interface EmailToSend {
  to: string;
  /** Default: the mailer's MAIL_FROM. */
  from?: string;
  rendered: RenderedEmail;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post. */
  headers?: Record<string, string>;
  /** A stable Message-ID (with angle brackets) so a resend of the same step carries the same id. */
  messageId?: string;
}

/** Sends one email; returns its Message-ID (the provider id recorded on the message). Throws EmailSendError. */
export async function sendEmail(mailer: Mailer, email: EmailToSend): Promise<string> {
  try {
    const info = await mailer.send({
      from: email.from ?? mailer.from,
      to: email.to,
      subject: email.rendered.subject,
      text: email.rendered.text,
      html: email.rendered.html,
      headers: email.headers,
      ...(email.messageId ? { messageId: email.messageId } : {}),
    });
    return info.messageId;
  } catch (error) {
    throw classifyEmailError(error);
  }
}

/** List-Unsubscribe (RFC 2369) with one-click unsubscribe (RFC 8058). */
export function listUnsubscribeHeaders(unsubscribeUrl: string | undefined): Record<string, string> {
  if (!unsubscribeUrl) return {};
  return { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
