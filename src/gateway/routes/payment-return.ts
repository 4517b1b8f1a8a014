/**
 * GET /pay/return: the gateway's own landing page after a Checkout Session or Payment Link, used when neither the
 * tenant (PUT /v1/admin/payment-pages) nor FRONTEND_BASE_URL names one (src/payments/return-urls.ts).
 *
 * Public (the customer's browser, no credentials), so it shows only what the unguessable session id already
 * implies: the amount and whether it is paid. Never the customer's email, name, phone or address. It always answers
 * 200 with a page (rate limiting aside): an unknown tenant, a missing or malformed session id, a session of another
 * tenant, or Stripe failing all get the same generic "we are confirming your payment" page, so the page neither
 * strands the customer on an error nor tells a prober which ids exist.
 *
 * Registered through addRoute (so it is in the OpenAPI document with its text/html response); the query schema
 * never rejects (every field falls back to undefined), because a 400 would be a dead end for the customer.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Response } from 'express';
import { Router } from 'express';
import type Stripe from 'stripe';
import type { Logger } from '../../logger.js';
import { escapeHtml } from '../../messaging/templates.js';
import { formatMinorUnits } from '../../money.js';
import { stripeRequestOptions } from '../../stripe/connected-account.js';
import { addRoute, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { text } from '../inputs.js';

export const PAYMENT_RETURN_PATH = '/pay/return';

/** Checkout Session ids as Stripe issues them; anything else never reaches Stripe. */
export const CHECKOUT_SESSION_ID_PATTERN = /^cs_[A-Za-z0-9_]{1,200}$/;

/**
 * Each field independently falls back to undefined (arrays from repeated keys, over-long values, ...). zod-to-openapi
 * cannot describe `.catch()`, hence the explicit type.
 */
const lenient = (maxLength: number, description: string) =>
  text({ max: maxLength }).optional().catch(undefined).openapi({ type: 'string', maxLength, description });

const returnQuery = z.object({
  tenant: lenient(200, 'Tenant id (from the success/cancel URL the gateway built)'),
  session_id: lenient(300, 'Checkout Session id; Stripe fills in {CHECKOUT_SESSION_ID}'),
  outcome: lenient(40, '`cancelled` when the customer left the payment page without paying'),
});

export type ReturnPageResult = 'paid' | 'processing' | 'unpaid' | 'no_payment_required' | 'confirming' | 'cancelled';

export interface ReturnPage {
  result: ReturnPageResult;
  title: string;
  message: string;
  /** e.g. "42.00 USD"; only when Stripe reported an amount. */
  amount?: string;
}

const CONFIRMING: ReturnPage = { result: 'confirming', title: 'Thank you', message: 'We are confirming your payment; you can close this page.' };
const CANCELLED: ReturnPage = { result: 'cancelled', title: 'Payment not completed', message: 'Payment not completed; you can use the same link again.' };

/** The page for a retrieved session: reads only amount_total, currency, payment_status and status. */
export function describeCheckoutSession(session: Pick<Stripe.Checkout.Session, 'amount_total' | 'currency' | 'payment_status' | 'status'>): ReturnPage {
  const amount =
    typeof session.amount_total === 'number' && Number.isSafeInteger(session.amount_total) && session.currency
      ? `${formatMinorUnits(session.amount_total, session.currency)} ${session.currency.toUpperCase()}`
      : undefined;
  const withAmount = (page: ReturnPage): ReturnPage => (amount === undefined ? page : { ...page, amount });
  switch (session.payment_status) {
    case 'paid':
      return withAmount({ result: 'paid', title: 'Payment received', message: 'Thank you, your payment was received. You can close this page.' });
    case 'no_payment_required':
      return withAmount({ result: 'no_payment_required', title: 'No payment required', message: 'Nothing was charged. You can close this page.' });
    case 'unpaid':
      // A completed session that is still unpaid is a delayed payment method (bank debit, transfer) being confirmed.
      if (session.status === 'complete') {
        return withAmount({
          result: 'processing',
          title: 'Payment processing',
          message: 'Your payment is being processed; confirmation can take a few days. You can close this page.',
        });
      }
      return withAmount({ result: 'unpaid', title: 'Not paid', message: 'This payment has not been completed.' });
    default:
      return CONFIRMING;
  }
}

const STATUS_WORDS: Record<ReturnPageResult, string | undefined> = {
  paid: 'Payment received',
  processing: 'Payment processing',
  unpaid: 'Not paid',
  no_payment_required: 'No payment required',
  confirming: undefined,
  cancelled: undefined,
};

/** Self-contained (no scripts, images or external styles); every dynamic value is escaped. */
export function renderReturnPage(page: ReturnPage): string {
  const e = escapeHtml;
  const status = STATUS_WORDS[page.result];
  const facts = [
    page.amount === undefined ? '' : `<div><dt>Amount</dt><dd id="amount">${e(page.amount)}</dd></div>`,
    status === undefined ? '' : `<div><dt>Status</dt><dd id="status">${e(status)}</dd></div>`,
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<meta name="payment-result" content="${e(page.result)}">
<title>${e(page.title)}</title>
<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#1f2933}
h1{font-size:1.4em}dl{margin:1.5em 0}dl div{display:flex;gap:1em;padding:.3em 0}dt{min-width:5em;color:#52606d}dd{margin:0;font-weight:600}
</style>
</head>
<body data-result="${e(page.result)}">
<main>
<h1>${e(page.title)}</h1>
${facts ? `<dl>${facts}</dl>\n` : ''}<p>${e(page.message)}</p>
</main>
</body>
</html>
`;
}

function send(res: Response, page: ReturnPage): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.status(200).type('html').send(renderReturnPage(page));
}

/** How long the customer waits for Stripe before getting the generic page (the page is only informational). */
const STRIPE_TIMEOUT_MS = 5_000;

export function paymentReturnRoutes(registry: OpenAPIRegistry, { db, stripe, writeLimit }: RouteDeps): Router {
  const router = Router();
  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: PAYMENT_RETURN_PATH,
      public: true,
      summary:
        'Landing page after a Checkout Session or Payment Link (customer browser, no credentials): the amount and payment status only. ' +
        'Always 200 text/html; unknown tenants or sessions and Stripe errors get a generic "confirming your payment" page',
      tags: ['Payments'],
      query: returnQuery,
      // The same per-IP budget as the other public browser route (the Connect OAuth callback).
      middleware: [writeLimit],
      responses: {
        200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } },
        429: problemResponse('Too many requests from this address (`rate_limited`)'),
      },
    },
    async ({ query }, res) => {
      if (query.outcome === 'cancelled') {
        send(res, CANCELLED);
        return;
      }
      const sessionId = query.session_id;
      const tenantId = query.tenant;
      if (!tenantId || !sessionId || !CHECKOUT_SESSION_ID_PATTERN.test(sessionId)) {
        send(res, CONFIRMING);
        return;
      }
      const log = res.locals.log as Logger;
      let page = CONFIRMING;
      try {
        const tenant = await db.selectFrom('tenants').select(['id', 'stripe_account_id']).where('id', '=', tenantId).executeTakeFirst();
        if (tenant) {
          // The tenant's connected account (stripeAccountFor without a second query); {} sells from the platform.
          const session = await stripe.checkout.sessions.retrieve(sessionId, {}, { ...stripeRequestOptions(tenant), timeout: STRIPE_TIMEOUT_MS, maxNetworkRetries: 0 });
          const owner = session.metadata?.tenant_id;
          if (owner === undefined || owner === tenantId) page = describeCheckoutSession(session);
          else log.warn({ tenantId, sessionId }, 'payment return page: the session belongs to another tenant');
        }
      } catch (error) {
        // Ids and the error's class only: Stripe error messages can echo request data.
        const { type, code, statusCode } = (error ?? {}) as { type?: string; code?: string; statusCode?: number };
        log.warn({ tenantId, sessionId, error: { type, code, statusCode } }, 'payment return page: could not read the Checkout Session');
      }
      send(res, page);
    },
  );
  return router;
}
