import { createHash } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import { Router } from 'express';
import Stripe from 'stripe';
import {
  findPrice,
  isCatalogSynced,
  listActiveCatalog,
  markCatalogSynced,
  setPriceCredits,
  upsertPrice,
  upsertProduct,
  type CatalogPrice,
} from '../../db/catalog.js';
import { findStripeCustomer, findTenantStripeAccount, saveStripeCustomer } from '../../db/stripe-customers.js';
import { findSubscription, listSubscriptions, summarizeCycles, type SubscriptionRecord } from '../../db/subscriptions.js';
import { subscriptionWorkflowId } from '../../temporal/workflow-ids.js';
import { cancelSubscriptionUpdate, subscriptionStateQuery, type SubscriptionState } from '../../../workflows/subscription.js';
import { requireRole, resolveAccountId, type Principal } from '../auth.js';
import { allowedOrigin } from '../origin.js';
import { HttpProblem, problems } from '../problem.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { idempotencyHeaders, nonNegativeMinorUnits, text } from '../inputs.js';

const STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused'] as const;

const accountId = text({ min: 1, max: 200 }).optional().openapi({ description: 'Wallet to act on (API keys only; JWT users act on their own).' });
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
const checkoutBody = z.object({ price_id: stripeId('price'), account_id: accountId }).strict().openapi('SubscriptionCheckout');
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

const iso = (seconds: number | null): string | null => (seconds === null ? null : new Date(seconds * 1000).toISOString());

function priceOut(price: CatalogPrice) {
  return {
    id: price.id,
    currency: price.currency,
    unit_amount: price.unitAmount,
    nickname: price.nickname,
    lookup_key: price.lookupKey,
    interval: price.interval,
    interval_count: price.intervalCount,
    credits_per_cycle: price.creditsPerCycle,
  };
}

type SubscriptionFields = Omit<SubscriptionRecord, 'tenantId' | 'subscriptionId' | 'createdAt' | 'updatedAt' | 'status'> & { status: string };

function subscriptionOut(id: string, s: SubscriptionFields) {
  return {
    id,
    account_id: s.accountId,
    customer_id: s.customerId,
    status: s.status,
    price_id: s.priceId,
    product_id: s.productId,
    unit_amount: s.unitAmount,
    currency: s.currency,
    interval: s.interval,
    interval_count: s.intervalCount,
    quantity: s.quantity,
    current_period_start: iso(s.currentPeriodStart),
    current_period_end: iso(s.currentPeriodEnd),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: iso(s.canceledAt),
  };
}

function detailOut(state: SubscriptionState) {
  return {
    ...subscriptionOut(state.subscriptionId, state),
    cycles: state.cycles,
    credits_granted: state.creditsGranted,
    plan_changes: state.planChanges,
    payment_failures: state.paymentFailures,
    event_log: state.eventLog.map((entry) => ({ event_id: entry.eventId, type: entry.type, outcome: entry.outcome })),
  };
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const renews = (status: string, cancelAtPeriodEnd: boolean) => !cancelAtPeriodEnd && ['trialing', 'active', 'past_due'].includes(status);

/** Stripe answered 4xx to a read or a session creation: the caller's input (or our configuration) is wrong. */
function stripeProblem(error: unknown): never {
  if (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 400 && (error.statusCode ?? 0) < 500) {
    if (error.statusCode === 404) throw problems.notFound('Stripe object');
    throw new HttpProblem(502, 'stripe_error', `Stripe refused the request: ${error.message}`);
  }
  if (error instanceof Stripe.errors.StripeError) throw problems.unavailable('stripe_unavailable', 'Stripe is unreachable; retry shortly.');
  throw error;
}

export function subscriptionRoutes(registry: OpenAPIRegistry, { config, db, temporal, stripe, authenticate, writeLimit }: RouteDeps): Router {
  const router = Router();
  const tags = ['Subscriptions'];

  async function stripeOptions(tenantId: string, idempotencyKey?: string): Promise<Stripe.RequestOptions> {
    const stripeAccount = await findTenantStripeAccount(db, tenantId);
    return { ...(stripeAccount ? { stripeAccount } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  /** First read for a tenant fills its cache from Stripe; product./price. webhooks keep it fresh afterwards. */
  async function syncCatalog(tenantId: string): Promise<void> {
    const options = await stripeOptions(tenantId);
    const version = Math.floor(Date.now() / 1000);
    try {
      const products = await stripe.products.list({ active: true, limit: 100 }, options).autoPagingToArray({ limit: 10_000 });
      const prices = await stripe.prices.list({ active: true, limit: 100 }, options).autoPagingToArray({ limit: 10_000 });
      for (const product of products) await upsertProduct(db, tenantId, product, version);
      for (const price of prices) await upsertPrice(db, tenantId, price, version);
    } catch (error) {
      stripeProblem(error);
    }
    await markCatalogSynced(db, tenantId);
  }

  /** The wallet's Stripe customer, created once (idempotency key per wallet) and reused. */
  async function customerFor(tenantId: string, account: string): Promise<string> {
    const known = await findStripeCustomer(db, tenantId, account);
    if (known) return known;
    try {
      const customer = await stripe.customers.create(
        { metadata: { tenant_id: tenantId, account_id: account } },
        await stripeOptions(tenantId, `customer:${tenantId}:${digest(account)}`),
      );
      return await saveStripeCustomer(db, tenantId, account, customer.id);
    } catch (error) {
      return stripeProblem(error);
    }
  }

  /** 404 for unknown subscriptions, other tenants' and (for JWT users) other users'. */
  async function ownedSubscription(principal: Principal, id: string): Promise<SubscriptionRecord> {
    const record = await findSubscription(db, principal.tenantId, id);
    if (!record) throw problems.notFound('subscription');
    if (principal.kind === 'jwt' && principal.role !== 'admin' && record.accountId !== principal.userId) throw problems.notFound('subscription');
    return record;
  }

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/products',
      summary: 'Active products and prices, each price with the credits it grants per cycle',
      tags,
      middleware: [authenticate],
      responses: { 200: jsonResponse('The catalog', productsResponse), 503: problemResponse('Stripe unreachable on first sync') },
    },
    async ({ principal }, res) => {
      if (!(await isCatalogSynced(db, principal.tenantId))) await syncCatalog(principal.tenantId);
      const catalog = await listActiveCatalog(db, principal.tenantId);
      res.json({
        data: catalog.map((product) => ({ id: product.id, name: product.name, description: product.description, prices: product.prices.map(priceOut) })),
      });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'put',
      path: '/v1/admin/prices/{id}/credits',
      summary: 'Set the credits a price grants per paid cycle (admin)',
      tags,
      params: z.object({ id: stripeId('price') }),
      body: creditsBody,
      middleware: [authenticate, requireRole('admin'), writeLimit],
      responses: { 200: jsonResponse('The price', priceJson), 403: problemResponse('Not an admin'), 404: problemResponse('Unknown price') },
    },
    async ({ params, body, principal }, res) => {
      if (!(await findPrice(db, principal.tenantId, params.id))) {
        // Not cached yet: look it up in Stripe (404 there is 404 here).
        try {
          const price = await stripe.prices.retrieve(params.id, {}, await stripeOptions(principal.tenantId));
          await upsertPrice(db, principal.tenantId, { ...price, id: params.id }, price.created);
        } catch (error) {
          stripeProblem(error);
        }
      }
      const price = await setPriceCredits(db, principal.tenantId, params.id, body.credits_per_cycle);
      if (!price) throw problems.notFound('price');
      res.json(priceOut(price));
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/subscriptions/checkout',
      summary: 'Start a subscription: returns a Stripe Checkout URL (subscription mode)',
      tags,
      body: checkoutBody,
      headers: idempotencyHeaders('Replays with the same key return the same Checkout Session; another request with it answers 422.'),
      idempotency: { db },
      middleware: [authenticate, writeLimit],
      responses: {
        201: jsonResponse('Checkout Session created', urlResponse.extend({ checkout_session_id: z.string(), customer_id: z.string() }).openapi('SubscriptionCheckoutSession')),
        400: problemResponse('Not a recurring price'),
        403: problemResponse('Origin not allowed'),
        404: problemResponse('Unknown or inactive price'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const origin = allowedOrigin(raw, config.ALLOWED_FRONTEND_ORIGINS);
      const account = resolveAccountId(principal, body.account_id);
      if (!(await isCatalogSynced(db, principal.tenantId))) await syncCatalog(principal.tenantId);
      const price = await findPrice(db, principal.tenantId, body.price_id);
      if (!price || !price.active) throw problems.notFound('price');
      if (!price.interval) throw problems.validation([{ field: 'body.price_id', message: 'not a recurring price' }]);
      const customer = await customerFor(principal.tenantId, account);
      const key = raw.header('idempotency-key');
      const metadata = { tenant_id: principal.tenantId, account_id: account, price_id: price.id };
      try {
        const session = await stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer,
            line_items: [{ price: price.id, quantity: 1 }],
            success_url: `${origin}/subscriptions/success?session_id={CHECKOUT_SESSION_ID}`,
            cancel_url: `${origin}/subscriptions/cancelled`,
            client_reference_id: account,
            metadata: { purpose: 'subscription', ...metadata },
            // Routes every customer.subscription.* and invoice event back to this tenant and wallet.
            subscription_data: { metadata },
          },
          await stripeOptions(
            principal.tenantId,
            key ? `subscription-checkout:${principal.tenantId}:${digest(account, price.id, key)}` : undefined,
          ),
        );
        if (!session.url) throw new HttpProblem(502, 'stripe_error', 'Stripe returned a Checkout Session without a url.');
        res.status(201).json({ url: session.url, checkout_session_id: session.id, customer_id: customer });
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        stripeProblem(error);
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/subscriptions',
      summary: "The tenant's subscriptions (JWT users: their own)",
      tags,
      query: z.object({
        account_id: accountId,
        status: z.enum(STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('Subscriptions', z.object({ data: z.array(subscriptionJson) }).openapi('Subscriptions')) },
    },
    async ({ query, principal }, res) => {
      const account =
        principal.kind === 'jwt' ? resolveAccountId(principal, query.account_id) : query.account_id; // API keys see every wallet unless filtered
      const records = await listSubscriptions(db, { tenantId: principal.tenantId, accountId: account, status: query.status, limit: query.limit });
      res.json({ data: records.map((record) => subscriptionOut(record.subscriptionId, record)) });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/subscriptions/{id}',
      summary: 'A subscription, from its workflow',
      tags,
      params: subscriptionParams,
      middleware: [authenticate],
      responses: { 200: jsonResponse('The subscription', subscriptionDetail), 404: problemResponse('Unknown subscription') },
    },
    async ({ params, principal }, res) => {
      const record = await ownedSubscription(principal, params.id);
      try {
        const state = await temporal.withDeadline(Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4, () =>
          temporal.workflow.getHandle(subscriptionWorkflowId(principal.tenantId, params.id)).query(subscriptionStateQuery),
        );
        res.json(detailOut(state));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          // Past the namespace's retention: the projection is all there is.
          res.json({ ...subscriptionOut(record.subscriptionId, record), cycles: 0, credits_granted: 0, plan_changes: [], payment_failures: [], event_log: [] });
          return;
        }
        throw error;
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/subscriptions/{id}/summary',
      summary: 'Cycles paid, credits granted and the next renewal',
      tags,
      params: subscriptionParams,
      middleware: [authenticate],
      responses: { 200: jsonResponse('Summary', summaryJson), 404: problemResponse('Unknown subscription') },
    },
    async ({ params, principal }, res) => {
      const record = await ownedSubscription(principal, params.id);
      const cycles = await summarizeCycles(db, principal.tenantId, params.id);
      const periodEnd = iso(record.currentPeriodEnd);
      res.json({
        id: record.subscriptionId,
        status: record.status,
        cycles: cycles.cycles,
        failed_invoices: cycles.failedInvoices,
        credits_granted: cycles.creditsGranted,
        current_period_end: periodEnd,
        next_renewal: renews(record.status, record.cancelAtPeriodEnd) ? periodEnd : null,
        ends_at: record.status === 'canceled' ? iso(record.canceledAt) : record.cancelAtPeriodEnd ? periodEnd : null,
        last_paid_at: cycles.lastPaidAt,
      });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/subscriptions/{id}',
      summary: 'Cancel a subscription through Stripe (default: at period end)',
      tags,
      params: subscriptionParams,
      query: z.object({
        at_period_end: z
          .enum(['true', 'false'])
          .default('true')
          .transform((value) => value === 'true'),
      }),
      middleware: [authenticate, writeLimit],
      responses: {
        200: jsonResponse('The subscription after the cancellation request', subscriptionDetail),
        404: problemResponse('Unknown subscription'),
        409: problemResponse('Already canceled'),
        502: problemResponse('Stripe refused'),
      },
    },
    async ({ params, query, principal }, res) => {
      await ownedSubscription(principal, params.id);
      const handle = temporal.workflow.getHandle(subscriptionWorkflowId(principal.tenantId, params.id));
      try {
        const state = await temporal.withDeadline(Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4, () =>
          handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: query.at_period_end }] }),
        );
        res.json(detailOut(state));
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          const cause = error.cause as { type?: string; message?: string } | undefined;
          if (cause?.type === 'StripeClientError' || /Stripe/.test(cause?.message ?? '')) {
            throw new HttpProblem(502, 'stripe_error', 'Stripe refused to cancel the subscription.');
          }
          throw problems.conflict('subscription_not_cancelable', cause?.message ?? error.message);
        }
        // The workflow closed: the subscription is already canceled.
        if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === 5)) {
          throw problems.conflict('subscription_not_cancelable', 'The subscription is already canceled.');
        }
        throw error;
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/billing-portal',
      summary: "Stripe Customer Portal URL for the wallet's customer",
      tags,
      body: z.object({ account_id: accountId }).strict().openapi('BillingPortal'),
      middleware: [authenticate, writeLimit],
      responses: {
        201: jsonResponse('Portal session', urlResponse.openapi('BillingPortalSession')),
        403: problemResponse('Origin not allowed'),
        404: problemResponse('This wallet has no Stripe customer yet'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const origin = allowedOrigin(raw, config.ALLOWED_FRONTEND_ORIGINS);
      const account = resolveAccountId(principal, body.account_id);
      const customer = await findStripeCustomer(db, principal.tenantId, account);
      if (!customer) throw problems.notFound('Stripe customer for this wallet');
      try {
        const session = await stripe.billingPortal.sessions.create(
          { customer, return_url: `${origin}/account/billing` },
          await stripeOptions(principal.tenantId),
        );
        res.status(201).json({ url: session.url });
      } catch (error) {
        stripeProblem(error);
      }
    },
  );

  return router;
}
