import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { InvoiceActivities } from '../../activities/invoice.js';
import type { InvoiceRecord, PaymentLinkPaidEvent } from '../../src/domain/invoice/contracts.js';
import type { OrderActivities } from '../../activities/order.js';
import type { RecoveryActivities } from '../../activities/recovery.js';
import { invoiceEventSignal, invoiceStateQuery } from '../../workflows/invoice/messages.js';
import { invoiceWorkflow } from '../../workflows/invoice/workflow.js';
import { createPaymentIntentUpdate, orderStateQuery, orderStripeEventSignal } from '../../workflows/order/messages.js';
import { orderWorkflow } from '../../workflows/order/workflow.js';
import { recoveryWorkflow } from '../../workflows/recovery/workflow.js';
import { fakeRecoveryHooks } from '../helpers/recovery-hook-fakes.js';
import { manualInvoiceRecord } from '../helpers/invoice-records.js';
import { timeSkippingSuite } from '../helpers/temporal.js';

/**
 * An event an activity refuses for good (a non-retryable ApplicationFailure, here the DatabaseDataError the activity
 * wrapper makes of a PostgreSQL class-22 error) is logged as `rejected: ...`; the workflow carries on with the next.
 */
const NOW_MS = 1_800_000_000_000;
const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('rejected-input');

const poison = () => ApplicationFailure.nonRetryable('PostgreSQL character_not_in_repertoire (SQLSTATE 22021)', 'DatabaseDataError');

async function waitUntil(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}

function invoiceFakes() {
  const calls: Array<{ name: string; input: any }> = [];
  let record: InvoiceRecord = manualInvoiceRecord('inv_1');
  const activities: InvoiceActivities = {
    async loadInvoice() {
      return { invoice: record, nowMs: NOW_MS };
    },
    async upsertInvoiceFromStripe() {
      throw new Error('not used');
    },
    async retrieveInvoice() {
      return null;
    },
    async markInvoiceOverdue() {
      return { marked: false };
    },
    async recordInvoicePayment(input) {
      calls.push({ name: 'recordInvoicePayment', input });
      if (input.checkoutSessionId.includes('\u0000')) throw poison();
      record = { ...record, status: 'paid', amountPaid: input.amount, paidAtMs: input.paidAtMs };
      return { outcome: 'paid', invoice: record };
    },
    async createPaymentLink() {
      return { id: 'plink_1', url: 'https://buy.stripe.com/test_1' };
    },
    async deactivatePaymentLink() {},
  };
  const excess: ExcessPaymentActivities = {
    async refundExcessPayment() {
      throw new Error('not used');
    },
  };
  return { activities: { ...activities, ...excess, ...fakeRecoveryHooks(calls) }, calls };
}

function orderFakes() {
  const calls: Array<{ name: string; input: any }> = [];
  const activities: OrderActivities = {
    async loadOrder() {
      return undefined;
    },
    async recordOrder() {},
    async createPaymentIntent(input) {
      return { id: `pi_${input.orderId}_${input.attempt}`, clientSecret: 'secret', attempt: input.attempt, status: 'requires_payment_method', amount: input.amount, currency: input.currency };
    },
    async retrievePaymentIntent(input) {
      return { paymentIntentId: input.paymentIntentId, status: 'requires_payment_method', amount: 1000, amountReceived: 0, currency: 'usd', clientSecret: 'secret' };
    },
    async cancelPaymentIntent(input) {
      return { paymentIntentId: input.paymentIntentId, status: 'canceled', amount: 1000, amountReceived: 0, currency: 'usd' };
    },
    async recordPaymentResult(input) {
      calls.push({ name: 'recordPaymentResult', input });
      if (input.failureMessage?.includes('\u0000')) throw poison();
    },
    async createRefund() {
      throw new Error('not used');
    },
    async recordRefundStatus() {},
    async recordExternalRefund() {},
    async reconcileRefundTotals() {
      return { refundedTotal: 0 };
    },
    async createOrderCheckoutSession() {
      throw new Error('not used');
    },
    async expireOrderCheckoutSession() {
      return { status: 'expired' };
    },
    async retrieveOrderCheckoutSession(input) {
      return { checkoutSessionId: input.checkoutSessionId, status: 'open', paymentIntent: null, nowMs: NOW_MS };
    },
    async bindCheckoutPaymentIntent() {
      return { bound: true };
    },
  };
  const excess: ExcessPaymentActivities = {
    async refundExcessPayment() {
      throw new Error('not used');
    },
  };
  return { activities: { ...activities, ...excess, ...fakeRecoveryHooks(calls) }, calls };
}

describe('rejected input: the workflow records it and carries on', () => {
  it('invoice: a payment its activity rejects is logged as rejected, and the next payment still pays the invoice', async () => {
    const fakes = invoiceFakes();
    await suite.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(invoiceWorkflow, {
        workflowId: 'invoice:t1:inv_1',
        taskQueue,
        args: [{ tenantId: 't1', invoiceId: 'inv_1', source: 'manual', retry }],
      });
      const payment = (eventId: string, checkoutSessionId: string): PaymentLinkPaidEvent => ({
        kind: 'payment_link_paid',
        eventId,
        checkoutSessionId,
        paymentLinkId: 'plink_1',
        paymentStatus: 'paid',
        amountTotal: 2500,
        currency: 'eur',
        paidAt: NOW_MS / 1000,
      });
      await handle.signal(invoiceEventSignal, payment('evt_poison', 'cs_\u0000'));
      await waitUntil(async () => (await handle.query(invoiceStateQuery)).eventLog.length >= 1);
      await handle.signal(invoiceEventSignal, payment('evt_good', 'cs_good'));
      await waitUntil(async () => (await handle.query(invoiceStateQuery)).status === 'paid');

      const state = await handle.query(invoiceStateQuery);
      expect(state.eventLog).toEqual([
        { eventId: 'evt_poison', type: 'payment_link_paid', outcome: 'rejected: DatabaseDataError: PostgreSQL character_not_in_repertoire (SQLSTATE 22021)' },
        { eventId: 'evt_good', type: 'payment_link_paid', outcome: 'paid' },
      ]);
      expect(state.seenEventIds).toEqual(['evt_poison', 'evt_good']);
      // Not retried: one attempt for the poison payment.
      expect(fakes.calls.filter((call) => call.name === 'recordInvoicePayment').map((call) => call.input.checkoutSessionId)).toEqual(['cs_\u0000', 'cs_good']);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test done');
    });
  });

  it('order: a payment_intent event its activity rejects is logged as rejected, and the next one still pays the order', async () => {
    const fakes = orderFakes();
    await suite.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(orderWorkflow, {
        workflowId: 'order:t1:ord_1',
        taskQueue,
        args: [{ tenantId: 't1', orderId: 'ord_1', origin: 'api', retry }],
      });
      const intent = await handle.executeUpdate(createPaymentIntentUpdate, { args: [{ amount: 1000, currency: 'usd' }] });
      const base = { kind: 'payment_intent' as const, paymentIntentId: intent.id, amount: 1000, currency: 'usd' };
      await handle.signal(orderStripeEventSignal, {
        ...base,
        eventId: 'evt_poison',
        type: 'payment_intent.payment_failed',
        status: 'requires_payment_method',
        amountReceived: 0,
        failureMessage: 'declined \u0000',
      });
      await waitUntil(async () => (await handle.query(orderStateQuery)).eventLog.length >= 1);
      await handle.signal(orderStripeEventSignal, { ...base, eventId: 'evt_good', type: 'payment_intent.succeeded', status: 'succeeded', amountReceived: 1000 });
      await waitUntil(async () => (await handle.query(orderStateQuery)).eventLog.length >= 2);

      const state = await handle.query(orderStateQuery);
      expect(state.eventLog.map(({ eventId, outcome }) => ({ eventId, outcome }))).toEqual([
        { eventId: 'evt_poison', outcome: 'rejected: DatabaseDataError: PostgreSQL character_not_in_repertoire (SQLSTATE 22021)' },
        { eventId: 'evt_good', outcome: 'paid 1000' },
      ]);
      expect(state.status).toBe('paid');
      expect(state.capturedAmount).toBe(1000);
      expect(fakes.calls.filter((call) => call.name === 'recordPaymentResult').map((call) => call.input.status)).toEqual(['failed', 'succeeded']);
      expect(fakes.calls.filter((call) => call.name === 'notifyItemPaid')).toHaveLength(1);
      await handle.terminate('test done');
    });
  });

  it('recovery: a campaign whose recordCampaign is rejected ends cancelled with the reason, without sending anything', async () => {
    const calls: string[] = [];
    const activities: Partial<RecoveryActivities> = {
      async recordCampaign() {
        calls.push('recordCampaign');
        throw poison();
      },
      async loadSchedule() {
        calls.push('loadSchedule');
        return { steps: [{ offsetMinutes: 0, channels: ['email'] }], maxAttempts: 3, expiryDays: 30, quietHours: null } as never;
      },
      async markCampaign() {
        calls.push('markCampaign');
        return { nowMs: NOW_MS, updated: true };
      },
    };
    await suite.withWorker(activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(recoveryWorkflow, {
        workflowId: 'recovery:t1:invoice:inv_poison',
        taskQueue,
        args: [
          {
            tenantId: 't1',
            campaignId: 'invoice:inv_poison',
            item: { kind: 'invoice', ref: 'inv_poison' },
            amount: 2500,
            currency: 'eur',
            customer: { email: 'ada@example.com' },
            metadata: { k: 'v\u0000' },
            successUrl: 'https://example.com/paid',
            retry,
          },
        ],
      });
      const state = await handle.result();
      expect(state.status).toBe('cancelled');
      expect(state.cancelReason).toBe('invalid input: DatabaseDataError: PostgreSQL character_not_in_repertoire (SQLSTATE 22021)');
      expect(state.messages).toEqual([]);
      expect(calls).toEqual(['recordCampaign']);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    });
  });
});
