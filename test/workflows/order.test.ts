import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { OrderActivities } from '../../activities/order.js';
import { createPaymentIntentUpdate, orderStateQuery, orderStripeEventSignal, orderWorkflow, refundUpdate } from '../../workflows/order.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import { fakeRecoveryHooks } from '../helpers/recovery-hook-fakes.js';
import { recordHistory, timeSkippingSuite } from '../helpers/temporal.js';

function fakeActivities(options: { refundFails?: boolean } = {}) {
  const calls: Array<{ name: string; input: any }> = [];
  const activities: OrderActivities = {
    async loadOrder(input) {
      calls.push({ name: 'loadOrder', input });
      return undefined;
    },
    async recordOrder(input) {
      calls.push({ name: 'recordOrder', input });
    },
    async createPaymentIntent(input) {
      calls.push({ name: 'createPaymentIntent', input });
      return { id: `pi_${input.orderId}_${input.attempt}`, clientSecret: 'secret', attempt: input.attempt, status: 'requires_payment_method', amount: input.amount, currency: input.currency };
    },
    async retrievePaymentIntent(input) {
      calls.push({ name: 'retrievePaymentIntent', input });
      return { paymentIntentId: input.paymentIntentId, status: 'requires_payment_method', amount: 1000, amountReceived: 0, currency: 'usd', clientSecret: 'secret' };
    },
    async cancelPaymentIntent(input) {
      calls.push({ name: 'cancelPaymentIntent', input });
      return { paymentIntentId: input.paymentIntentId, status: 'canceled', amount: 1000, amountReceived: 0, currency: 'usd' };
    },
    async recordPaymentResult(input) {
      calls.push({ name: 'recordPaymentResult', input });
    },
    async createRefund(input) {
      calls.push({ name: 'createRefund', input });
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (options.refundFails) throw ApplicationFailure.nonRetryable('refunds.create failed: charge already disputed', 'StripeClientError');
      return { id: input.refundRequestId, requestKey: input.requestKey, paymentIntentId: input.paymentIntentId, amount: input.amount, currency: input.currency, reason: input.reason, status: 'succeeded', stripeRefundId: `re_${input.requestKey}` };
    },
    async recordRefundStatus(input) {
      calls.push({ name: 'recordRefundStatus', input });
    },
    async recordExternalRefund(input) {
      calls.push({ name: 'recordExternalRefund', input });
    },
  };
  return { activities: { ...activities, ...fakeRecoveryHooks(calls) }, calls, count: (name: string) => calls.filter((call) => call.name === name).length };
}

const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('order');

function withWorker<T>(activities: OrderActivities & RecoveryHookActivities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  return suite.withWorker(activities, run);
}

/** The time-skipping server has no update-with-start: start, then update. */
async function paidOrder(taskQueue: string, orderId: string, captured = 1000) {
  const handle = await suite.env.client.workflow.start(orderWorkflow, {
    workflowId: `order:t1:${orderId}`,
    taskQueue,
    args: [{ tenantId: 't1', orderId, origin: 'api', retry }],
  });
  const intent = await handle.executeUpdate(createPaymentIntentUpdate, { args: [{ amount: 1000, currency: 'usd' }] });
  const event = { eventId: `evt_${orderId}`, kind: 'payment_intent' as const, type: 'payment_intent.succeeded' as const, paymentIntentId: intent.id, status: 'succeeded', amount: 1000, amountReceived: captured, currency: 'usd' };
  for (let i = 0; i < 3; i++) await handle.signal(orderStripeEventSignal, event);
  await waitUntil(async () => (await handle.query(orderStateQuery)).status === 'paid');
  return { handle, intent };
}

async function waitUntil(probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}

async function failureType(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }
}

describe('Order workflow', () => {
  it('returns the same PaymentIntent while an attempt is open and records Stripe amount_received once', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { handle, intent } = await paidOrder(taskQueue, 'o1', 990);
      expect(intent.id).toBe('pi_o1_1');
      const state = await handle.query(orderStateQuery);
      expect(state).toMatchObject({ status: 'paid', capturedAmount: 990, paymentIntentId: 'pi_o1_1' });
      expect(fake.count('recordPaymentResult')).toBe(1);
      expect(state.seenEventIds).toEqual(['evt_o1']);
      expect(fake.calls.filter((call) => call.name === 'notifyItemPaid').map((call) => call.input)).toEqual([
        expect.objectContaining({ item: { kind: 'order', ref: 'o1' }, via: 'order', amount: 990 }),
      ]);
      await handle.terminate();
    });
  });

  it('lets concurrent refund updates never exceed the captured amount, and replays by request key', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { handle } = await paidOrder(taskQueue, 'o2');
      const keys = ['k1', 'k2', 'k3', 'k4'];
      const outcomes = await Promise.all(
        keys.map((requestKey) =>
          failureType(handle.executeUpdate(refundUpdate, { args: [{ requestKey, amount: 300, reason: 'requested_by_customer' }] })),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === undefined)).toHaveLength(3);
      expect(outcomes.filter((outcome) => outcome === 'refund_exceeds_remaining')).toHaveLength(1);
      // Which of the four loses depends on arrival order; replay one that won.
      const winner = keys[outcomes.indexOf(undefined)]!;
      const replay = await handle.executeUpdate(refundUpdate, { args: [{ requestKey: winner, amount: 300, reason: 'requested_by_customer' }] });
      expect(replay.replayed).toBe(true);
      expect(fake.count('createRefund')).toBe(3);
      const state = await handle.query(orderStateQuery);
      expect(state.refunds.reduce((sum, refund) => sum + refund.amount, 0)).toBe(900);
      expect(state.status).toBe('partially_refunded');
      await handle.terminate();
      await recordHistory(suite.env.client, handle.workflowId, 'order-paid-partially-refunded.json');
    });
  });

  it('surfaces a refund failure and releases the reserved amount', async () => {
    const fake = fakeActivities({ refundFails: true });
    await withWorker(fake.activities, async (taskQueue) => {
      const { handle } = await paidOrder(taskQueue, 'o3');
      expect(await failureType(handle.executeUpdate(refundUpdate, { args: [{ requestKey: 'r1', reason: 'other' }] }))).toBe('refund_failed');
      const state = await handle.query(orderStateQuery);
      expect(state.refunds[0]).toMatchObject({ status: 'failed', amount: 1000 });
      expect(state.refunds[0]!.failureReason).toMatch(/disputed/);
      expect(state.status).toBe('paid');
      expect(await failureType(handle.executeUpdate(refundUpdate, { args: [{ requestKey: 'r1', reason: 'other' }] }))).toBe('refund_failed');
      await handle.terminate();
    });
  });

  it('rejects refunds before payment', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.start(orderWorkflow, { workflowId: 'order:t1:o4', taskQueue, args: [{ tenantId: 't1', orderId: 'o4', origin: 'api', retry }] });
      await handle.executeUpdate(createPaymentIntentUpdate, { args: [{ amount: 1000, currency: 'usd' }] });
      expect(await failureType(handle.executeUpdate(refundUpdate, { args: [{ requestKey: 'x', reason: 'other' }] }))).toBe('payment_not_refundable');
      await handle.terminate();
    });
  });
});
