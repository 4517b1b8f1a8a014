import { idempotencyHeaders, nonNegativeMinorUnits, pageLimit, walletAccountId } from '../../schemas.js';
import { checkoutReturnUrlFields, portalReturnUrlFields } from '../../origin.js';
import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';

const STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused'] as const;

const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,200}$`), `not a Stripe ${prefix}_ id`);

const priceJson = z
  .object({
    id: z.string(),
    currency: z.string(),
    unit_amount: z.number().int().nullable(),
    nickname: z.string().nullable(),
    lookup_key: z.string().nullable(),
    interval: z.string().nullable(),
    interval_count: z.number().int().nullable(),
    credits_per_cycle: z.number().int().openapi({ description: 'Credits granted per paid cycle, in the price currency (minor units).' }),
  })
  .openapi('Price');
const productsResponse = z
  .object({ data: z.array(z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), prices: z.array(priceJson) })) })
  .openapi('Products');
const creditsBody = z.object({ credits_per_cycle: nonNegativeMinorUnits() }).strict().openapi('PriceCredits');
const checkoutBody = z.object({ price_id: stripeId('price'), account_id: walletAccountId, ...checkoutReturnUrlFields }).strict().openapi('SubscriptionCheckout');
const urlResponse = z.object({ url: z.string() });
const subscriptionJson = z
  .object({
    id: z.string(),
    account_id: z.string().nullable(),
    customer_id: z.string().nullable(),
    status: z.string(),
    price_id: z.string().nullable(),
    product_id: z.string().nullable(),
    unit_amount: z.number().int().nullable(),
    currency: z.string().nullable(),
    interval: z.string().nullable(),
    interval_count: z.number().int().nullable(),
    quantity: z.number().int().nullable(),
    current_period_start: z.string().nullable(),
    current_period_end: z.string().nullable(),
    cancel_at_period_end: z.boolean(),
    canceled_at: z.string().nullable(),
  })
  .openapi('Subscription');
const subscriptionDetail = subscriptionJson
  .extend({
    cycles: z.number().int(),
    credits_granted: z.number().int(),
    plan_changes: z.array(z.record(z.string(), z.unknown())),
    payment_failures: z.array(z.record(z.string(), z.unknown())),
    event_log: z.array(z.object({ event_id: z.string(), type: z.string(), outcome: z.string() })),
  })
  .openapi('SubscriptionDetail');
const summaryJson = z
  .object({
    id: z.string(),
    status: z.string(),
    cycles: z.number().int(),
    failed_invoices: z.number().int(),
    credits_granted: z.array(z.object({ currency: z.string(), credits: z.number().int() })),
    current_period_end: z.string().nullable(),
    next_renewal: z.string().nullable().openapi({ description: 'When the next cycle is billed; null once it will not renew.' }),
    ends_at: z.string().nullable(),
    last_paid_at: z.string().nullable(),
  })
  .openapi('SubscriptionSummary');
const subscriptionParams = z.object({ id: stripeId('sub') });

export const contracts = {
  listProducts: {
    summary: 'Active products and prices, each price with the credits it grants per cycle',
    responses: { 200: jsonResponse('The catalog', productsResponse), 503: problemResponse('Stripe unreachable on first sync') },
  },
  setPriceCredits: {
    summary: 'Set the credits a price grants per paid cycle (admin)',
    params: z.object({ id: stripeId('price') }),
    body: creditsBody,
    responses: { 200: jsonResponse('The price', priceJson), 403: problemResponse('Not an admin'), 404: problemResponse('Unknown price') },
  },
  startCheckout: {
    summary: 'Start a subscription: returns a Stripe Checkout URL (subscription mode)',
    body: checkoutBody,
    headers: idempotencyHeaders('Replays with the same key return the same Checkout Session; another request with it answers 422.'),
    idempotent: true,
    responses: {
      201: jsonResponse('Checkout Session created', urlResponse.extend({ checkout_session_id: z.string(), customer_id: z.string() }).openapi('SubscriptionCheckoutSession')),
      400: problemResponse('Not a recurring price, or only one of success_url and cancel_url'),
      403: problemResponse('origin_not_allowed, origin_required (no Origin, no success_url/cancel_url, no frontend base URL) or return_url_not_allowed'),
      404: problemResponse('Unknown or inactive price'),
    },
  },
  listSubscriptions: {
    summary: "The tenant's subscriptions (JWT users: their own)",
    query: z.object({
      account_id: walletAccountId,
      status: z.enum(STATUSES).optional(),
      limit: pageLimit(50),
    }),
    responses: { 200: jsonResponse('Subscriptions', z.object({ data: z.array(subscriptionJson) }).openapi('Subscriptions')) },
  },
  getSubscription: {
    summary: 'A subscription, from its workflow',
    params: subscriptionParams,
    responses: { 200: jsonResponse('The subscription', subscriptionDetail), 404: problemResponse('Unknown subscription') },
  },
  getSummary: {
    summary: 'Cycles paid, credits granted and the next renewal',
    params: subscriptionParams,
    responses: { 200: jsonResponse('Summary', summaryJson), 404: problemResponse('Unknown subscription') },
  },
  cancelSubscription: {
    summary: 'Cancel a subscription through Stripe (default: at period end)',
    params: subscriptionParams,
    query: z.object({
      at_period_end: z
        .enum(['true', 'false'])
        .default('true')
        .transform((value) => value === 'true'),
    }),
    responses: {
      200: jsonResponse('The subscription after the cancellation request', subscriptionDetail),
      404: problemResponse('Unknown subscription'),
      409: problemResponse('Already canceled'),
      502: problemResponse('Stripe refused'),
    },
  },
  openBillingPortal: {
    summary: "Stripe Customer Portal URL for the wallet's customer",
    body: z.object({ account_id: walletAccountId, ...portalReturnUrlFields }).strict().openapi('BillingPortal'),
    responses: {
      201: jsonResponse('Portal session', urlResponse.openapi('BillingPortalSession')),
      403: problemResponse('origin_not_allowed, origin_required (no Origin, no return_url, no frontend base URL) or return_url_not_allowed'),
      404: problemResponse('This wallet has no Stripe customer yet'),
    },
  },
} satisfies Record<string, RouteContract>;
