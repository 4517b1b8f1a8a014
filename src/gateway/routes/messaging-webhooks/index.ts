/**
 * Messaging callbacks:
 *   POST /v1/webhooks/twilio/inbound   inbound SMS (configure on the Twilio number / Messaging Service); STOP-type
 *                                      replies suppress SMS to that number, START-type replies lift it.
 *   POST /v1/webhooks/twilio/status    delivery status callbacks (statusCallback of each message we send).
 *   GET  /v1/messages/unsubscribe      confirmation page for an email unsubscribe link (changes nothing, so link
 *                                      scanners and prefetchers cannot unsubscribe anyone).
 *   POST /v1/messages/unsubscribe      the confirmation button, and RFC 8058 one-click (List-Unsubscribe-Post).
 *
 * Twilio requests are verified with X-Twilio-Signature (HMAC-SHA1 of PUBLIC_BASE_URL + path + sorted form
 * params with the account auth token): PUBLIC_BASE_URL must be the URL Twilio calls.
 *
 * STOP scope: one STOP suppresses SMS to that number for EVERY tenant (tenant '*'). Our Twilio sender (number or
 * Messaging Service) is shared by all tenants, and Twilio itself blocks that sender → recipient pair after STOP
 * (error 21610) until START, so a per-tenant suppression would only turn into failed sends.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import twilio from 'twilio';
import type { Config } from '../../../config.js';
import type { Db } from '../../../db/connection.js';
import { updateDeliveryByProviderId } from '../../../db/messages.js';
import { ALL_TENANTS, normaliseAddress, suppress, unsuppress } from '../../../db/suppressions.js';
import type { Logger } from '../../../logger.js';
import { linkKey, verifyUnsubscribeToken } from '../../../messaging/links.js';
import { escapeHtml } from '../../../messaging/templates.js';
import { HttpProblem, problems } from '../../problem.js';

export interface MessagingRouteDeps {
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'TWILIO_AUTH_TOKEN' | 'WEBHOOK_BODY_LIMIT' | 'MESSAGING_LINK_SECRET' | 'STRIPE_SECRET_KEY'>;
  db: Db;
  log: Logger;
}

type TwilioHandler = 'inboundSms' | 'deliveryStatus';
type UnsubscribeHandler = 'confirmationPage' | 'unsubscribe';

/** Signed by Twilio (verifyTwilio), urlencoded forms. */
const twilioTable: readonly { method: 'post'; path: string; handler: TwilioHandler }[] = [
  { method: 'post', path: '/v1/webhooks/twilio/inbound', handler: 'inboundSms' },
  { method: 'post', path: '/v1/webhooks/twilio/status', handler: 'deliveryStatus' },
];

/** Public browser pages; the signed token in the link authorises them. */
const unsubscribeTable: readonly { method: 'get' | 'post'; path: string; handler: UnsubscribeHandler }[] = [
  { method: 'get', path: '/v1/messages/unsubscribe', handler: 'confirmationPage' },
  { method: 'post', path: '/v1/messages/unsubscribe', handler: 'unsubscribe' },
];

export const STOP_KEYWORDS: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
export const START_KEYWORDS: ReadonlySet<string> = new Set(['START', 'UNSTOP', 'YES']);

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The URL Twilio signed: our public base URL plus the path and query it called. */
export function twilioSignedUrl(config: Pick<Config, 'PUBLIC_BASE_URL'>, req: Pick<Request, 'originalUrl'>): string {
  return `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}${req.originalUrl}`;
}

function verifyTwilio(config: MessagingRouteDeps['config']): RequestHandler {
  return (req, res, next) => {
    if (!config.TWILIO_AUTH_TOKEN) {
      next(problems.unavailable('twilio_not_configured', 'TWILIO_AUTH_TOKEN is not set, so Twilio webhooks cannot be verified.'));
      return;
    }
    const signature = req.header('x-twilio-signature');
    const params = (req.body ?? {}) as Record<string, unknown>;
    if (!signature || !twilio.validateRequest(config.TWILIO_AUTH_TOKEN, signature, twilioSignedUrl(config, req), params)) {
      (res.locals.log as Logger | undefined)?.warn({ path: req.path }, 'Twilio webhook with a missing or invalid signature');
      next(problems.forbidden('invalid_signature', 'X-Twilio-Signature is missing or does not verify.'));
      return;
    }
    next();
  };
}

const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/** Twilio's webhooks; mounted before express.json and the browser security headers, like the Stripe webhook. */
export function twilioWebhookRouter({ config, db, log }: MessagingRouteDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: config.WEBHOOK_BODY_LIMIT, parameterLimit: 200 });
  const handlers: Record<TwilioHandler, RequestHandler> = {
    async inboundSms(req, res) {
      const requestLog = (res.locals.log as Logger | undefined) ?? log;
      const from = normaliseAddress('sms', field(req.body, 'From') ?? '');
      const keyword = (field(req.body, 'Body') ?? '').trim().toUpperCase();
      if (from && STOP_KEYWORDS.has(keyword)) {
        await suppress(db, ALL_TENANTS, 'sms', from, 'stop_reply');
        requestLog.info({ keyword }, 'SMS opt-out (STOP reply): suppressed for every tenant');
      } else if (from && START_KEYWORDS.has(keyword)) {
        await unsuppress(db, ALL_TENANTS, 'sms', from, 'stop_reply');
        requestLog.info({ keyword }, 'SMS opt-in (START reply): STOP suppression lifted');
      }
      res.status(200).type('text/xml').send(EMPTY_TWIML);
    },

    async deliveryStatus(req, res) {
      const sid = field(req.body, 'MessageSid') ?? field(req.body, 'SmsSid');
      const status = field(req.body, 'MessageStatus') ?? field(req.body, 'SmsStatus');
      if (!sid || !status) throw new HttpProblem(400, 'missing_fields', 'MessageSid and MessageStatus are required.');
      const errorCode = field(req.body, 'ErrorCode');
      let updated = 0;
      if (status === 'delivered') updated = await updateDeliveryByProviderId(db, sid, 'delivered');
      else if (status === 'undelivered' || status === 'failed') {
        updated = await updateDeliveryByProviderId(db, sid, 'undelivered', `twilio ${status}${errorCode ? ` (error ${errorCode})` : ''}`);
      }
      // Other statuses (queued, sending, sent, ...) are progress we do not record. Unknown SIDs are acknowledged too:
      // a non-2xx answer would only make Twilio retry a callback we can never apply.
      res.status(200).json({ received: true, updated });
    },
  };
  for (const row of twilioTable) {
    router[row.method](row.path, form, verifyTwilio(config), async (req, res, next) => {
      try {
        await handlers[row.handler](req, res, next);
      } catch (error) {
        next(error);
      }
    });
  }
  return router;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#1f2933">
<h1 style="font-size:1.4em">${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** The email unsubscribe pages; public (the signed token is the authorisation). */
export function unsubscribeRouter({ config, db, log }: MessagingRouteDeps): Router {
  const router = Router();
  const key = linkKey(config);
  const claimsOf = (req: Request) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    const claims = token ? verifyUnsubscribeToken(token, key) : undefined;
    if (!claims) throw new HttpProblem(400, 'invalid_token', 'This unsubscribe link is invalid or incomplete.');
    return { claims, token: token! };
  };
  const invalidPage: (error: unknown, res: express.Response) => boolean = (error, res) => {
    if (error instanceof HttpProblem && error.code === 'invalid_token' && res.req.accepts(['html', 'json']) === 'html') {
      res.status(400).type('html').send(page('Invalid link', '<p>This unsubscribe link is invalid or incomplete. Please use the link from the email.</p>'));
      return true;
    }
    return false;
  };

  const handlers: Record<UnsubscribeHandler, RequestHandler[]> = {
    confirmationPage: [
      (req, res, next) => {
        try {
          const { claims, token } = claimsOf(req);
          res
            .status(200)
            .type('html')
            .send(
              page(
                'Unsubscribe from payment reminders',
                `<p>Stop payment reminder emails to <strong>${escapeHtml(claims.address)}</strong>?</p>
<form method="post" action="/v1/messages/unsubscribe?token=${encodeURIComponent(token)}"><button type="submit" style="font-size:1em;padding:.6em 1.4em">Unsubscribe</button></form>`,
              ),
            );
        } catch (error) {
          if (!invalidPage(error, res)) next(error);
        }
      },
    ],
    unsubscribe: [
      express.urlencoded({ extended: false, limit: '4kb' }),
      async (req, res, next) => {
        try {
          const { claims } = claimsOf(req);
          await suppress(db, claims.tenantId, claims.channel, claims.address, 'unsubscribe');
          ((res.locals.log as Logger | undefined) ?? log).info({ tenantId: claims.tenantId, channel: claims.channel }, 'unsubscribed');
          res
            .status(200)
            .type('html')
            .send(page('You are unsubscribed', `<p>We will not send payment reminder emails to <strong>${escapeHtml(claims.address)}</strong> any more.</p>`));
        } catch (error) {
          if (!invalidPage(error, res)) next(error);
        }
      },
    ],
  };
  for (const row of unsubscribeTable) router[row.method](row.path, ...handlers[row.handler]);
  return router;
}
