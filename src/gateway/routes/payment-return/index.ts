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
import type { Response, Router } from 'express';
import type { Logger } from '../../../logger.js';
import { stripeRequestOptions } from '../../../stripe/connected-account.js';
import { problemResponse, routerFromTable, type Handlers, type RouteContract, type RouteDeps, type RouteTable } from '../../route.js';
import { text } from '../../schemas.js';
import { z } from '../../zod.js';
import { CANCELLED, CONFIRMING, describeCheckoutSession, renderReturnPage, type ReturnPage } from './page.js';

export { describeCheckoutSession, renderReturnPage, type ReturnPage, type ReturnPageResult } from './page.js';

export const PAYMENT_RETURN_PATH = '/pay/return';

const table: RouteTable<typeof contracts> = [
  // The same per-IP write budget as the other public browser route (the Connect OAuth callback).
  { method: 'get', path: PAYMENT_RETURN_PATH, access: 'public', writes: true, handler: 'returnPage' },
];

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

const contracts = {
  returnPage: {
    summary:
      'Landing page after a Checkout Session or Payment Link (customer browser, no credentials): the amount and payment status only. ' +
      'Always 200 text/html; unknown tenants or sessions and Stripe errors get a generic "confirming your payment" page',
    query: returnQuery,
    responses: {
      200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } },
      429: problemResponse('Too many requests from this address (`rate_limited`)'),
    },
  },
} satisfies Record<string, RouteContract>;

function send(res: Response, page: ReturnPage): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.status(200).type('html').send(renderReturnPage(page));
}

/** How long the customer waits for Stripe before getting the generic page (the page is only informational). */
const STRIPE_TIMEOUT_MS = 5_000;

function paymentReturnHandlers({ db, stripe }: RouteDeps): Handlers<typeof contracts> {
  return {
    async returnPage({ query }, res) {
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
  };
}

export function paymentReturnRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Payments'], table, contracts, handlers: paymentReturnHandlers(deps) });
}
