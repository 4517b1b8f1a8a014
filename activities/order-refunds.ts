import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import { insertRefund, reconcileRefundTotals, refundIdempotencyKey, RefundExceedsCapturedError, updateRefund } from '../src/db/orders/refunds.js';
import type { RefundReason, RefundStatus, RefundSummary } from '../src/domain/order/contracts.js';
import { callStripe } from './errors.js';
import { orderStripeOptions, toRefundStatus, type OrderActivityDeps } from './order.js';

/** An order's refunds: asked through the API, made outside it (dashboard), and their totals. */
export function createOrderRefundActivities({ db, stripe }: OrderActivityDeps) {
  const orderRequestOptions = (tenantId: string, ref: { orderId: string } | { paymentIntentId: string }, idempotencyKey?: string) =>
    orderStripeOptions(db, tenantId, ref, idempotencyKey);

  return {
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
      const options = await orderRequestOptions(input.tenantId, { orderId: input.orderId }, refundIdempotencyKey(input.tenantId, input.orderId, input.requestKey));
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
            options,
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
    /** Recomputes the order's refunded total and status from its succeeded refunds (charge.refunded). */
    async reconcileRefundTotals(input: { tenantId: string; orderId: string }): Promise<{ refundedTotal: number }> {
      return { refundedTotal: await reconcileRefundTotals(db, input.tenantId, input.orderId) };
    },

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
      // One transaction: the refund row and the order's recomputed refund totals commit together.
      await db.transaction().execute(async (trx) => {
        const { refund } = await insertRefund(trx, {
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
        await updateRefund(trx, { tenantId: input.tenantId, orderId: input.orderId, id: refund.id, status: input.status });
      });
    },
  };
}
