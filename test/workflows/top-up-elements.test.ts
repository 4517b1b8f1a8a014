import { describe, expect, it } from 'vitest';
import type { TopUpActivities } from '../../activities/top-up.js';
import type { PaymentIntentSnapshot } from '../../src/domain/top-up/contracts.js';
import { createCheckoutSessionUpdate, createPaymentIntentUpdate, paymentIntentEventSignal } from '../../workflows/top-up/messages.js';
import { topUpWorkflow } from '../../workflows/top-up/workflow.js';
import { timeSkippingSuite } from '../helpers/temporal.js';

/** Records every activity call; settleTopUpPaymentIntent answers what the test sets. */
function fakeActivities(settled: Omit<PaymentIntentSnapshot, 'paymentIntentId'>) {
  const calls: Array<{ name: string; input: unknown }> = [];
  const record =
    <I, O>(name: string, answer: (input: I) => O) =>
    async (input: I): Promise<O> => {
      calls.push({ name, input });
      return answer(input);
    };
  const activities: TopUpActivities = {
    recordTopUpCreated: record('recordTopUpCreated', () => undefined),
    createCheckoutSession: record('createCheckoutSession', () => ({ id: 'cs_x', url: 'https://checkout.stripe.com/c/pay/cs_x', expiresAt: null })),
    createTopUpPaymentIntent: record('createTopUpPaymentIntent', (input: { topUpId: string }) => ({ id: `pi_${input.topUpId}`, clientSecret: `pi_${input.topUpId}_secret_s` })),
    settleTopUpPaymentIntent: record('settleTopUpPaymentIntent', (input: { paymentIntentId: string }) => ({ paymentIntentId: input.paymentIntentId, ...settled })),
    retrieveCheckoutSession: record('retrieveCheckoutSession', () => ({ sessionId: 'cs_x', paymentStatus: 'unpaid' as const, amountTotal: 0, currency: 'usd' })),
    loadTopUp: record('loadTopUp', () => undefined),
    creditTopUp: record('creditTopUp', () => ({ outcome: 'credited' as const, accountId: 'acct_1' })),
    recordTopUpStatus: record('recordTopUpStatus', () => undefined),
  };
  return { activities, calls, names: () => calls.map((call) => call.name) };
}

const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('topup-elements');
const request = { accountId: 'acct_1', amount: 1500, currency: 'usd' };

async function startElementsTopUp(taskQueue: string, topUpId: string) {
  const handle = await suite.env.client.workflow.start(topUpWorkflow, {
    workflowId: `topup:t1:${topUpId}`,
    taskQueue,
    args: [{ tenantId: 't1', topUpId, accountId: 'acct_1', retry }],
  });
  return { handle, intent: await handle.executeUpdate(createPaymentIntentUpdate, { args: [request] }) };
}

describe('TopUp workflow, Elements (PaymentIntent) mode', () => {
  it('creates one PaymentIntent, returns its client_secret again on a repeat, and refuses a Checkout Session for it', async () => {
    const fake = fakeActivities({ status: 'requires_payment_method', amountReceived: 0, currency: 'usd' });
    await suite.withWorker(fake.activities, async (taskQueue) => {
      const { handle, intent } = await startElementsTopUp(taskQueue, 'tu_e1');
      expect(intent).toEqual({ id: 'pi_tu_e1', clientSecret: 'pi_tu_e1_secret_s' });
      expect(await handle.executeUpdate(createPaymentIntentUpdate, { args: [request] })).toEqual(intent);
      await expect(
        handle.executeUpdate(createCheckoutSessionUpdate, { args: [{ ...request, successUrl: 'https://app.test/s', cancelUrl: 'https://app.test/c' }] }),
      ).rejects.toThrow();
      expect(fake.names().filter((name) => name === 'createTopUpPaymentIntent')).toHaveLength(1);
      expect(fake.names()).not.toContain('createCheckoutSession');
      await handle.terminate();
    });
  });

  it('credits amount_received once for duplicate and second succeeded events', async () => {
    const fake = fakeActivities({ status: 'requires_payment_method', amountReceived: 0, currency: 'usd' });
    await suite.withWorker(fake.activities, async (taskQueue) => {
      const { handle, intent } = await startElementsTopUp(taskQueue, 'tu_e2');
      const succeeded = { eventId: 'evt_1', type: 'payment_intent.succeeded' as const, paymentIntentId: intent.id, status: 'succeeded', amountReceived: 1490, currency: 'usd' };
      for (let i = 0; i < 3; i++) await handle.signal(paymentIntentEventSignal, succeeded);
      await handle.signal(paymentIntentEventSignal, { ...succeeded, eventId: 'evt_2' });
      const state = await handle.result();
      expect(state).toMatchObject({ status: 'credited', creditedAmount: 1490, paymentIntentId: intent.id });
      const credits = fake.calls.filter((call) => call.name === 'creditTopUp');
      expect(credits).toHaveLength(1);
      expect(credits[0]!.input).toMatchObject({ topUpId: 'tu_e2', paymentIntentId: intent.id, amount: 1490, currency: 'usd' });
    });
  });

  it('without an event for 25 hours, cancels the unpaid PaymentIntent and expires the top-up', async () => {
    const fake = fakeActivities({ status: 'canceled', amountReceived: 0, currency: 'usd' });
    await suite.withWorker(fake.activities, async (taskQueue) => {
      const { handle, intent } = await startElementsTopUp(taskQueue, 'tu_e3');
      const state = await handle.result();
      expect(state.status).toBe('expired');
      expect(fake.calls.find((call) => call.name === 'settleTopUpPaymentIntent')?.input).toMatchObject({ paymentIntentId: intent.id });
      expect(fake.names()).not.toContain('retrieveCheckoutSession');
      expect(fake.names()).not.toContain('creditTopUp');
    });
  });

  it('without an event, credits what Stripe says was received when the PaymentIntent succeeded', async () => {
    const fake = fakeActivities({ status: 'succeeded', amountReceived: 1500, currency: 'usd' });
    await suite.withWorker(fake.activities, async (taskQueue) => {
      const { handle } = await startElementsTopUp(taskQueue, 'tu_e4');
      const state = await handle.result();
      expect(state).toMatchObject({ status: 'credited', creditedAmount: 1500 });
      expect(fake.calls.filter((call) => call.name === 'creditTopUp')).toHaveLength(1);
    });
  });
});
