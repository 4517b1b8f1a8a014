import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import {
  findOrder,
  insertAttempt,
  insertRefund,
  recordAttemptResult,
  type AttemptResult,
  refundIdempotencyKey,
  RefundExceedsCapturedError,
  updateRefund,
  upsertOrder,
} from '../src/db/orders.js';
import { callStripe } from './errors.js';
import type {
  OrderRecord,
  PaymentIntentSnapshot,
  PaymentIntentSummary,
  RefundReason,
  RefundStatus,
  RefundSummary,
} from './order-types.js';

export interface OrderActivityDeps {
  db: Db;
  stripe: Stripe;
}

export const paymentIntentIdempotencyKey = (tenantId: string, orderId: string, attempt: number): string =>
  `order:${tenantId}:${orderId}:attempt:${attempt}`;

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

export function createOrderActivities({ db, stripe }: OrderActivityDeps) {
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

    /** One PaymentIntent per attempt: the Stripe idempotency key is the attempt's business key. */
    async createPaymentIntent(input: {
      tenantId: string;
      orderId: string;
      attempt: number;
      amount: number;
      currency: string;
      receiptEmail?: string;
      description?: string;
    }): Promise<PaymentIntentSummary> {
      const intent = await callStripe('paymentIntents.create', () =>
        stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency,
            automatic_payment_methods: { enabled: true },
            ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
            ...(input.description ? { description: input.description } : {}),
            metadata: { purpose: 'order', tenant_id: input.tenantId, order_id: input.orderId, attempt: String(input.attempt) },
          },
          { idempotencyKey: paymentIntentIdempotencyKey(input.tenantId, input.orderId, input.attempt) },
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

    async retrievePaymentIntent(input: { tenantId: string; paymentIntentId: string }): Promise<PaymentIntentSnapshot & { clientSecret: string | null }> {
      const intent = await callStripe('paymentIntents.retrieve', () => stripe.paymentIntents.retrieve(input.paymentIntentId));
      return { ...snapshot(intent), clientSecret: intent.client_secret };
    },

    /** Cancels a failed attempt's PaymentIntent before a new attempt, so the old one cannot be paid later. */
    async cancelPaymentIntent(input: { tenantId: string; orderId: string; attempt: number; paymentIntentId: string }): Promise<PaymentIntentSnapshot> {
      const intent = await callStripe('paymentIntents.cancel', () =>
        stripe.paymentIntents.cancel(
          input.paymentIntentId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `${paymentIntentIdempotencyKey(input.tenantId, input.orderId, input.attempt)}:cancel` },
        ),
      );
      return snapshot(intent);
    },

    async recordPaymentResult(input: AttemptResult): Promise<void> {
      if (input.paid && (!Number.isSafeInteger(input.paid.capturedAmount) || input.paid.capturedAmount <= 0)) {
        throw ApplicationFailure.nonRetryable(`Stripe amount_received ${input.paid.capturedAmount} is not a capture`, 'ValidationError');
      }
      await recordAttemptResult(db, input);
    },

    /**
     * Records the refund (pending) first, then asks Stripe with the idempotency key `refund:<tenant>:<order>:<key>`,
     * so a retried activity or a replayed request never refunds twice. A Stripe refusal marks the refund failed
     * and is rethrown: the workflow releases the reservation and the caller sees the error.
     */
    async createRefund(input: {
      tenantId: string;
      orderId: string;
      refundRequestId: string;
      requestKey: string;
      paymentIntentId: string;
      amount: number;
      currency: string;
      reason: RefundReason;
      note?: string;
    }): Promise<RefundSummary> {
      let stored;
      try {
        stored = await insertRefund(db, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          id: input.refundRequestId,
          requestKey: input.requestKey,
          paymentIntentId: input.paymentIntentId,
          amount: input.amount,
          currency: input.currency,
          reason: input.reason,
          note: input.note,
        });
      } catch (error) {
        if (error instanceof RefundExceedsCapturedError) {
          throw ApplicationFailure.nonRetryable(error.message, 'RefundExceedsCapturedError', {
            captured: error.captured,
            alreadyRefunded: error.alreadyRefunded,
            requested: error.requested,
          });
        }
        throw error;
      }
      const refundId = stored.refund.id;
      if (stored.refund.stripeRefundId || stored.refund.status === 'failed' || stored.refund.status === 'canceled') {
        return stored.refund;
      }
      let refund: Stripe.Refund;
      try {
        refund = await callStripe('refunds.create', () =>
          stripe.refunds.create(
            {
              payment_intent: input.paymentIntentId,
              amount: input.amount,
              ...(input.reason !== 'other' ? { reason: input.reason } : {}),
              metadata: {
                purpose: 'order',
                tenant_id: input.tenantId,
                order_id: input.orderId,
                refund_request_id: refundId,
                ...(input.note ? { note: input.note.slice(0, 500) } : {}),
              },
            },
            { idempotencyKey: refundIdempotencyKey(input.tenantId, input.orderId, input.requestKey) },
          ),
        );
      } catch (error) {
        if (error instanceof ApplicationFailure && error.nonRetryable) {
          await updateRefund(db, { tenantId: input.tenantId, orderId: input.orderId, id: refundId, status: 'failed', failureReason: error.message });
        }
        throw error;
      }
      const status = toRefundStatus(refund.status);
      const failureReason = refund.failure_reason ?? undefined;
      await updateRefund(db, { tenantId: input.tenantId, orderId: input.orderId, id: refundId, status, stripeRefundId: refund.id, failureReason });
      return { ...stored.refund, status, stripeRefundId: refund.id, ...(failureReason ? { failureReason } : {}) };
    },

    async recordRefundStatus(input: {
      tenantId: string;
      orderId: string;
      refundRequestId: string;
      status: RefundStatus;
      stripeRefundId?: string;
      failureReason?: string;
    }): Promise<void> {
      await updateRefund(db, { ...input, id: input.refundRequestId });
    },

    /** A refund made outside this API (Dashboard, another integration), learnt from Stripe's events. */
    async recordExternalRefund(input: {
      tenantId: string;
      orderId: string;
      refundRequestId: string;
      stripeRefundId: string;
      paymentIntentId: string;
      amount: number;
      currency: string;
      status: RefundStatus;
    }): Promise<void> {
      const { refund } = await insertRefund(db, {
        tenantId: input.tenantId,
        orderId: input.orderId,
        id: input.refundRequestId,
        requestKey: `stripe:${input.stripeRefundId}`,
        paymentIntentId: input.paymentIntentId,
        amount: input.amount,
        currency: input.currency,
        reason: 'other',
        note: 'created outside this API',
        status: input.status,
        stripeRefundId: input.stripeRefundId,
      });
      await updateRefund(db, { tenantId: input.tenantId, orderId: input.orderId, id: refund.id, status: input.status });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
