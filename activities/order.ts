import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import {
  bindAttemptPaymentIntent,
  insertAttempt,
  insertCheckoutAttempt,
  pendingPaymentIntentId,
  recordAttemptResult,
  type AttemptResult,
} from '../src/db/orders/attempts.js';
import { findOrder, orderStripeAccount, upsertOrder } from '../src/db/orders/order.js';
import { callStripe } from './errors.js';
import type { createOrderRefundActivities } from './order-refunds.js';
import type { OrderCheckoutResult, OrderCheckoutSnapshot, OrderRecord, PaymentIntentSnapshot, PaymentIntentSummary, RefundStatus } from '../src/domain/order/contracts.js';

export interface OrderActivityDeps {
  db: Db;
  stripe: Stripe;
}

export const paymentIntentIdempotencyKey = (tenantId: string, orderId: string, attempt: number): string =>
  `order:${tenantId}:${orderId}:attempt:${attempt}`;

export const checkoutIdempotencyKey = (tenantId: string, orderId: string, attempt: number): string =>
  `${paymentIntentIdempotencyKey(tenantId, orderId, attempt)}:checkout`;

/** Checkout Sessions live as long as Stripe allows: 24 h. */
export const ORDER_CHECKOUT_TTL_SECONDS = 24 * 60 * 60;
/** A session with less than this left is replaced rather than sent again (a link must stay usable for a while). */
export const ORDER_CHECKOUT_MIN_REMAINING_MS = 60 * 60 * 1000;

const REFUND_STATUSES: ReadonlySet<string> = new Set(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']);

export function toRefundStatus(status: string | null | undefined): RefundStatus {
  return status && REFUND_STATUSES.has(status) ? (status as RefundStatus) : 'pending';
}

function snapshot(intent: Stripe.PaymentIntent): PaymentIntentSnapshot {
  return {
    paymentIntentId: intent.id,
    status: intent.status,
    amount: intent.amount,
    amountReceived: intent.amount_received,
    currency: intent.currency,
    ...(intent.last_payment_error?.message ? { failureMessage: intent.last_payment_error.message } : {}),
  };
}

/**
 * Request options for an order's Stripe objects: the account fixed on the order when it was created (the tenant's
 * connected account; the platform account for orders from before migration 0013), and the idempotency key.
 */
export async function orderStripeOptions(
  db: Db,
  tenantId: string,
  ref: { orderId: string } | { paymentIntentId: string },
  idempotencyKey?: string,
): Promise<Stripe.RequestOptions> {
  const account = await orderStripeAccount(db, tenantId, ref);
  return { ...(account ? { stripeAccount: account } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
}

export function createOrderActivities({ db, stripe }: OrderActivityDeps) {
  const orderRequestOptions = (tenantId: string, ref: { orderId: string } | { paymentIntentId: string }, idempotencyKey?: string) =>
    orderStripeOptions(db, tenantId, ref, idempotencyKey);

  return {
    async loadOrder(input: { tenantId: string; orderId: string }): Promise<OrderRecord | undefined> {
      return findOrder(db, input.tenantId, input.orderId);
    },

    async recordOrder(input: {
      tenantId: string;
      orderId: string;
      customerId?: string;
      receiptEmail?: string;
      description?: string;
      amount: number;
      currency: string;
    }): Promise<void> {
      await upsertOrder(db, { ...input, id: input.orderId });
    },

    /**
     * One PaymentIntent per attempt: the Stripe idempotency key is the attempt's business key. With `record` it first
     * upserts the order row (what recordOrder does), saving the workflow that activity.
     */
    async createPaymentIntent(input: {
      tenantId: string;
      orderId: string;
      attempt: number;
      amount: number;
      currency: string;
      receiptEmail?: string;
      description?: string;
      record?: { customerId?: string; receiptEmail?: string; description?: string };
    }): Promise<PaymentIntentSummary> {
      if (input.record) {
        await upsertOrder(db, { tenantId: input.tenantId, id: input.orderId, ...input.record, amount: input.amount, currency: input.currency });
      }
      const intent = await callStripe('paymentIntents.create', async () =>
        stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            automatic_payment_methods: { enabled: true },
            ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
            ...(input.description ? { description: input.description } : {}),
            metadata: { purpose: 'order', tenant_id: input.tenantId, order_id: input.orderId, attempt: String(input.attempt) },
          },
          await orderRequestOptions(input.tenantId, { orderId: input.orderId }, paymentIntentIdempotencyKey(input.tenantId, input.orderId, input.attempt)),
        ),
      );
      if (!intent.client_secret) throw ApplicationFailure.nonRetryable('Stripe returned a PaymentIntent without a client_secret', 'StripeClientError');
      await insertAttempt(db, {
        tenantId: input.tenantId,
        orderId: input.orderId,
        attempt: input.attempt,
        paymentIntentId: intent.id,
        status: intent.status,
        amount: input.amount,
        currency: input.currency,
      });
      return { id: intent.id, clientSecret: intent.client_secret, attempt: input.attempt, status: intent.status, amount: input.amount, currency: input.currency };
    },

    /**
     * The order's recovery instrument: a Checkout Session attempt. `current` (the order's open Checkout Session
     * attempt, if any) is answered again while it has at least ORDER_CHECKOUT_MIN_REMAINING_MS left by this
     * activity's clock; otherwise it is expired (best effort, when it may still be open) and attempt `attempt` is
     * created with the Stripe idempotency key `order:<tenant>:<order>:attempt:<n>:checkout`. Stripe creates the
     * session's PaymentIntent only when the customer pays, so the attempt is recorded with its PaymentIntent pending;
     * payment_intent_data.metadata names the attempt, which is how the payment finds it.
     */
    async createOrderCheckoutSession(input: {
      tenantId: string;
      orderId: string;
      attempt: number;
      amount: number;
      currency: string;
      receiptEmail?: string;
      successUrl: string;
      cancelUrl: string;
      current?: { attempt: number; checkoutSessionId: string; url: string | null; expiresAtMs: number | null; paymentIntentId: string };
    }): Promise<OrderCheckoutResult> {
      const nowMs = Date.now();
      const current = input.current;
      if (current && current.url && current.expiresAtMs !== null && current.expiresAtMs - ORDER_CHECKOUT_MIN_REMAINING_MS > nowMs) {
        return { ...current, created: false, nowMs };
      }
      if (current && (current.expiresAtMs === null || current.expiresAtMs > nowMs)) {
        try {
          await callStripe('checkout.sessions.expire', async () =>
            stripe.checkout.sessions.expire(
              current.checkoutSessionId,
              {},
              await orderRequestOptions(input.tenantId, { orderId: input.orderId }, `${checkoutIdempotencyKey(input.tenantId, input.orderId, current.attempt)}:expire`),
            ),
          );
        } catch (error) {
          // Already expired or completed: a payment through it still finds its attempt (and any second one is refunded).
          log.warn('could not expire the replaced Checkout Session', { checkoutSessionId: current.checkoutSessionId, error: String(error) });
        }
      }
      const metadata = { purpose: 'order', tenant_id: input.tenantId, order_id: input.orderId, attempt: String(input.attempt) };
      // From when the attempt was first scheduled, so a retried create sends the same parameters under its idempotency key.
      const scheduledMs = Context.current().info.scheduledTimestampMs || nowMs;
      const session = await callStripe('checkout.sessions.create', async () =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            expires_at: Math.floor(scheduledMs / 1000) + ORDER_CHECKOUT_TTL_SECONDS,
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            ...(input.receiptEmail ? { customer_email: input.receiptEmail } : {}),
            line_items: [
              { quantity: 1, price_data: { currency: input.currency, unit_amount: input.amount, product_data: { name: `Order ${input.orderId}` } } },
            ],
            metadata,
            payment_intent_data: { metadata },
          },
          await orderRequestOptions(input.tenantId, { orderId: input.orderId }, checkoutIdempotencyKey(input.tenantId, input.orderId, input.attempt)),
        ),
      );
      await insertCheckoutAttempt(db, {
        tenantId: input.tenantId,
        orderId: input.orderId,
        attempt: input.attempt,
        checkoutSessionId: session.id,
        amount: input.amount,
        currency: input.currency,
        ...(current ? { replaces: current.attempt } : {}),
      });
      return {
        attempt: input.attempt,
        checkoutSessionId: session.id,
        url: session.url,
        expiresAtMs: session.expires_at * 1000,
        paymentIntentId: pendingPaymentIntentId(session.id),
        created: true,
        nowMs,
      };
    },

    /** Stops a Checkout Session attempt taking payments (a new attempt replaces it). */
    async expireOrderCheckoutSession(input: { tenantId: string; orderId: string; attempt: number; checkoutSessionId: string }): Promise<{ status: string }> {
      const session = await callStripe('checkout.sessions.expire', async () =>
        stripe.checkout.sessions.expire(
          input.checkoutSessionId,
          {},
          await orderRequestOptions(input.tenantId, { orderId: input.orderId }, `${checkoutIdempotencyKey(input.tenantId, input.orderId, input.attempt)}:expire`),
        ),
      );
      return { status: session.status ?? 'expired' };
    },

    /** A Checkout Session attempt as Stripe has it now, with its PaymentIntent once the customer has paid (or tried). */
    async retrieveOrderCheckoutSession(input: { tenantId: string; orderId?: string; checkoutSessionId: string }): Promise<OrderCheckoutSnapshot> {
      const options = input.orderId ? await orderRequestOptions(input.tenantId, { orderId: input.orderId }) : {};
      const session = await callStripe('checkout.sessions.retrieve', () =>
        stripe.checkout.sessions.retrieve(input.checkoutSessionId, { expand: ['payment_intent'] }, options),
      );
      const intent = session.payment_intent;
      return {
        checkoutSessionId: session.id,
        status: session.status ?? 'open',
        paymentIntent: intent && typeof intent === 'object' ? snapshot(intent) : null,
        nowMs: Date.now(),
      };
    },

    /** Stores the PaymentIntent a payment event named for a Checkout Session attempt (in place of its placeholder). */
    async bindCheckoutPaymentIntent(input: { tenantId: string; orderId: string; attempt: number; paymentIntentId: string }): Promise<{ bound: boolean }> {
      return { bound: await bindAttemptPaymentIntent(db, input) };
    },

    async retrievePaymentIntent(input: { tenantId: string; orderId?: string; paymentIntentId: string }): Promise<PaymentIntentSnapshot & { clientSecret: string | null }> {
      const options = await orderRequestOptions(input.tenantId, input.orderId ? { orderId: input.orderId } : { paymentIntentId: input.paymentIntentId });
      const intent = await callStripe('paymentIntents.retrieve', () => stripe.paymentIntents.retrieve(input.paymentIntentId, {}, options));
      return { ...snapshot(intent), clientSecret: intent.client_secret };
    },

    /** Cancels a failed attempt's PaymentIntent before a new attempt, so the old one cannot be paid later. */
    async cancelPaymentIntent(input: { tenantId: string; orderId: string; attempt: number; paymentIntentId: string }): Promise<PaymentIntentSnapshot> {
      const options = await orderRequestOptions(input.tenantId, { orderId: input.orderId }, `${paymentIntentIdempotencyKey(input.tenantId, input.orderId, input.attempt)}:cancel`);
      const intent = await callStripe('paymentIntents.cancel', () => stripe.paymentIntents.cancel(input.paymentIntentId, { cancellation_reason: 'abandoned' }, options));
      return snapshot(intent);
    },

    async recordPaymentResult(input: AttemptResult): Promise<void> {
      if (input.paid && (!Number.isSafeInteger(input.paid.capturedAmount) || input.paid.capturedAmount <= 0)) {
        throw ApplicationFailure.nonRetryable(`Stripe amount_received ${input.paid.capturedAmount} is not a capture`, 'ValidationError');
      }
      await recordAttemptResult(db, input);
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities> & ReturnType<typeof createOrderRefundActivities>;
