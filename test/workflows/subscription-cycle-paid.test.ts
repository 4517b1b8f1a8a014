import { describe, expect, it } from 'vitest';
import type { SubscriptionActivities } from '../../activities/subscription.js';
import type { InvoiceSnapshot, SubscriptionEvent, SubscriptionSnapshot } from '../../src/domain/subscription/contracts.js';
import { subscriptionEventSignal, subscriptionStateQuery, type SubscriptionState } from '../../workflows/subscription/messages.js';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow.js';
import { fakeRecoveryHooks } from '../helpers/recovery-hook-fakes.js';
import { recordHistory, timeSkippingSuite } from '../helpers/temporal.js';

const MONTH = 30 * 24 * 60 * 60;
const START = 1_900_000_000;
const SUBSCRIPTION_ID = 'sub_cycle_paid';

function fakeActivities() {
  const calls: Array<{ name: string; input: unknown }> = [];
  const granted = new Set<string>();
  const activities: SubscriptionActivities = {
    async loadSubscription(input) {
      calls.push({ name: 'loadSubscription', input });
      return undefined;
    },
    async recordSubscription(input) {
      calls.push({ name: 'recordSubscription', input });
    },
    async grantCycleCredits(input) {
      calls.push({ name: 'grantCycleCredits', input });
      const first = !granted.has(input.invoice.id);
      granted.add(input.invoice.id);
      return { outcome: first ? 'granted' : 'already_granted', credits: 100, currency: 'usd', accountId: input.accountId };
    },
    async recordInvoicePaymentFailed(input) {
      calls.push({ name: 'recordInvoicePaymentFailed', input });
    },
    async cancelSubscription() {
      throw new Error('not used');
    },
    async retrieveSubscription() {
      throw new Error('not used');
    },
  };
  return { activities: { ...activities, ...fakeRecoveryHooks(calls) }, count: (name: string) => calls.filter((call) => call.name === name).length };
}

const snapshot = (cycle: number): SubscriptionSnapshot => ({
  id: SUBSCRIPTION_ID,
  customerId: 'cus_1',
  accountId: 'acct_1',
  status: 'active',
  priceId: 'price_basic',
  productId: 'prod_1',
  unitAmount: 2000,
  currency: 'usd',
  interval: 'month',
  intervalCount: 1,
  quantity: 1,
  currentPeriodStart: START + cycle * MONTH,
  currentPeriodEnd: START + (cycle + 1) * MONTH,
  cancelAtPeriodEnd: false,
  canceledAt: null,
});

const invoice = (cycle: number): InvoiceSnapshot => ({
  id: `in_${cycle}`,
  subscriptionId: SUBSCRIPTION_ID,
  customerId: 'cus_1',
  accountId: 'acct_1',
  amountPaid: 2000,
  currency: 'usd',
  priceId: 'price_basic',
  periodStart: START + cycle * MONTH,
  periodEnd: START + (cycle + 1) * MONTH,
  billingReason: cycle === 0 ? 'subscription_create' : 'subscription_cycle',
  attemptCount: 1,
});

const suite = timeSkippingSuite('subscription-cycle');

describe('Subscription workflow, one renewal cycle paid', () => {
  it('grants the first and the renewal cycle once each and stays active', async () => {
    const fake = fakeActivities();
    await suite.withWorker(fake.activities, async (taskQueue) => {
      const workflowId = `subscription:t1:${SUBSCRIPTION_ID}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [{ tenantId: 't1', subscriptionId: SUBSCRIPTION_ID, retry: { intervalsMs: [100, 200] } }],
      });
      const events: SubscriptionEvent[] = [
        { kind: 'subscription', eventId: 'evt_created', type: 'customer.subscription.created', created: START, subscription: snapshot(0) },
        { kind: 'invoice', eventId: 'evt_paid_0', type: 'invoice.payment_succeeded', created: START, invoice: invoice(0) },
        { kind: 'subscription', eventId: 'evt_renewed', type: 'customer.subscription.updated', created: START + MONTH, subscription: snapshot(1) },
        { kind: 'invoice', eventId: 'evt_paid_1', type: 'invoice.payment_succeeded', created: START + MONTH, invoice: invoice(1) },
      ];
      let state: SubscriptionState | undefined;
      for (const event of events) {
        await handle.signal(subscriptionEventSignal, event);
        // The event log gets its entry once the event is applied (it is marked seen before).
        for (let i = 0; i < 200 && !state?.eventLog.some((entry) => entry.eventId === event.eventId); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          state = await handle.query(subscriptionStateQuery);
        }
      }
      expect(state).toMatchObject({ status: 'active', cycles: 2, creditsGranted: 200, currentPeriodEnd: START + 2 * MONTH });
      expect(fake.count('grantCycleCredits')).toBe(2);
      await handle.terminate('test done');
      await recordHistory(suite.env.client, workflowId, 'subscription-cycle-paid.json');
    });
  });
});
