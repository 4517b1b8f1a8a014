import { ApplicationFailure, log } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { markExcessRefund, recordExcessPayment } from '../src/db/excess-payments.js';
import { orderStripeAccount } from '../src/db/orders/order.js';
import { callStripe } from './errors.js';
import { accountOptions } from './payment-instruments.js';
import type { ExcessPaymentInput, ExcessPaymentRecord } from '../src/domain/transaction/contracts.js';

export interface ExcessPaymentActivityDeps {
  db: Db;
  stripe: Stripe;
}

const REFUNDED_OR_UNDERWAY = new Set(['succeeded', 'pending', 'requires_action']);

export function createExcessPaymentActivities({ db, stripe }: ExcessPaymentActivityDeps) {
  /**
   * The refund goes where the payment was made: the account its event named (a parallel charge from an older
   * campaign was taken in the platform account), else an order's own account (fixed at creation), else the tenant's.
   */
  async function refundOptions(input: ExcessPaymentInput, idempotencyKey: string): Promise<Stripe.RequestOptions> {
    if (input.stripeAccount !== undefined) return { ...(input.stripeAccount ? { stripeAccount: input.stripeAccount } : {}), idempotencyKey };
    if (input.item.kind !== 'order') return accountOptions(db, input.tenantId, idempotencyKey);
    const account = await orderStripeAccount(db, input.tenantId, { orderId: input.item.ref });
    return { ...(account ? { stripeAccount: account } : {}), idempotencyKey };
  }

  return {
    /**
     * Money that arrived for an item already settled goes back in full: recorded once per PaymentIntent (primary
     * key), refunded with an idempotency key from the PaymentIntent, so however often this runs there is one refund.
     */
    async refundExcessPayment(input: ExcessPaymentInput): Promise<ExcessPaymentRecord> {
      const record = await recordExcessPayment(db, input);
      if (record.refundId && REFUNDED_OR_UNDERWAY.has(record.refundStatus)) return record;
      const metadata = { purpose: 'excess_refund', tenant_id: input.tenantId, item_kind: input.item.kind, item_ref: input.item.ref };
      const options = await refundOptions(input, `excess-refund:${input.tenantId}:${input.paymentIntentId}`);
      let refund: Stripe.Refund;
      try {
        refund = await callStripe('refunds.create', async () =>
          stripe.refunds.create({ payment_intent: input.paymentIntentId, reason: 'duplicate', metadata }, options),
        );
      } catch (error) {
        // Stripe refused for good: the row says so (GET /v1/admin/excess-payments), for an operator to act on.
        if (error instanceof ApplicationFailure && error.nonRetryable) await markExcessRefund(db, input.tenantId, input.paymentIntentId, { id: null, status: 'failed' });
        throw error;
      }
      await markExcessRefund(db, input.tenantId, input.paymentIntentId, { id: refund.id, status: refund.status ?? 'pending' });
      log.info('excess payment refunded', { tenantId: input.tenantId, item: input.item, paymentIntentId: input.paymentIntentId, refundId: refund.id });
      return { ...record, refundId: refund.id, refundStatus: refund.status ?? 'pending' };
    },
  };
}

export type ExcessPaymentActivities = ReturnType<typeof createExcessPaymentActivities>;
