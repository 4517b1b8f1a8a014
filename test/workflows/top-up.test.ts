import { describe, expect, it } from 'vitest';
import type { TopUpActivities } from '../../activities/top-up.js';
import type { CheckoutSessionEvent } from '../../src/domain/top-up/contracts.js';
import {
  checkoutSessionEventSignal,
  createCheckoutSessionUpdate,
  topUpStateQuery,
} from '../../workflows/top-up/messages.js';
import { topUpWorkflow } from '../../workflows/top-up/workflow.js';
import { recordHistory, timeSkippingSuite } from '../helpers/temporal.js';

/** Records every activity call; the ledger's "exactly once" is simulated by the set of credited sessions. */
function fakeActivities() {
  const calls: Array<{ name: string; input: unknown }> = [];
  const creditedSessions = new Set<string>();
  const topUps = new Map<string, { accountId: string; amount: number; currency: string }>();
  let retrieveResult: 'paid' | 'unpaid' = 'unpaid';
  const activities: TopUpActivities = {
    async recordTopUpCreated(input) {
      calls.push({ name: 'recordTopUpCreated', input });
      topUps.set(input.topUpId, input);
    },
    async createCheckoutSession(input) {
      calls.push({ name: 'createCheckoutSession', input });
      // Like the real activity: the top-up row is inserted first (once).
      if (!topUps.has(input.topUpId)) topUps.set(input.topUpId, input);
      return { id: `cs_test_${input.topUpId}`, url: `https://checkout.stripe.com/c/pay/cs_test_${input.topUpId}`, expiresAt: 1_900_000_000 };
    },
    async createTopUpPaymentIntent(input) {
      calls.push({ name: 'createTopUpPaymentIntent', input });
      if (!topUps.has(input.topUpId)) topUps.set(input.topUpId, input);
      return { id: `pi_test_${input.topUpId}`, clientSecret: `pi_test_${input.topUpId}_secret_x` };
    },
    async settleTopUpPaymentIntent(input) {
      calls.push({ name: 'settleTopUpPaymentIntent', input });
      return { paymentIntentId: input.paymentIntentId, status: retrieveResult === 'paid' ? 'succeeded' : 'canceled', amountReceived: 1234, currency: 'usd' };
    },
    async retrieveCheckoutSession(input) {
      calls.push({ name: 'retrieveCheckoutSession', input });
      return { sessionId: input.sessionId, paymentStatus: retrieveResult, amountTotal: 1234, currency: 'usd' };
    },
    async loadTopUp(input) {
      calls.push({ name: 'loadTopUp', input });
      const known = topUps.get(input.topUpId);
      return known
        ? { id: input.topUpId, ...known, status: creditedSessions.size > 0 ? 'credited' : 'pending', checkoutSessionId: null, creditedAmount: null }
        : undefined;
    },
    async creditTopUp(input) {
      calls.push({ name: 'creditTopUp', input });
      const topUp = topUps.get(input.topUpId);
      if (!topUp) return { outcome: 'unknown_top_up' };
      // One ledger key per top-up, whichever payment credits it.
      const first = !creditedSessions.has(input.topUpId);
      creditedSessions.add(input.topUpId);
      return { outcome: first ? 'credited' : 'already_credited', accountId: topUp.accountId };
    },
    async recordTopUpStatus(input) {
      calls.push({ name: 'recordTopUpStatus', input });
    },
  };
  return {
    activities,
    calls,
    names: () => calls.map((call) => call.name),
    setRetrieveResult: (result: 'paid' | 'unpaid') => {
      retrieveResult = result;
    },
  };
}

const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('topup');

function withWorker<T>(activities: TopUpActivities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  return suite.withWorker(activities, run);
}

/** The time-skipping server has no update-with-start (ExecuteMultiOperation); integration tests cover that path. */
async function startTopUp(taskQueue: string, topUpId: string) {
  const workflowId = `topup:t1:${topUpId}`;
  const handle = await suite.env.client.workflow
    .start(topUpWorkflow, { workflowId, taskQueue, args: [{ tenantId: 't1', topUpId, accountId: 'acct_1', retry }] })
    .catch(() => suite.env.client.workflow.getHandle<typeof topUpWorkflow>(workflowId));
  const session = await handle.executeUpdate(createCheckoutSessionUpdate, {
    args: [{ accountId: 'acct_1', amount: 1234, currency: 'usd', successUrl: 'https://app.test/s', cancelUrl: 'https://app.test/c' }],
  });
  return { session, handle };
}

function event(overrides: Partial<CheckoutSessionEvent> & Pick<CheckoutSessionEvent, 'eventId' | 'sessionId'>): CheckoutSessionEvent {
  return { type: 'checkout.session.completed', paymentStatus: 'paid', amountTotal: 1234, currency: 'usd', ...overrides };
}

describe('TopUp workflow', () => {
  it('returns the Checkout URL from the update, and the same one on a repeated call', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const first = await startTopUp(taskQueue, 'tu_a');
      const second = await startTopUp(taskQueue, 'tu_a');
      expect(first.session.url).toBe('https://checkout.stripe.com/c/pay/cs_test_tu_a');
      expect(second.session).toEqual(first.session);
      expect(fake.names().filter((name) => name === 'createCheckoutSession')).toHaveLength(1);
      await first.handle.terminate();
    });
  });

  it('credits Stripe amount_total exactly once for duplicate and second events of one session', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { session, handle } = await startTopUp(taskQueue, 'tu_b');
      for (let i = 0; i < 5; i++) await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_1', sessionId: session.id, amountTotal: 999 }));
      await handle.signal(
        checkoutSessionEventSignal,
        event({ eventId: 'evt_2', sessionId: session.id, type: 'checkout.session.async_payment_succeeded', amountTotal: 999 }),
      );
      const state = await handle.result();
      expect(state.status).toBe('credited');
      expect(state.creditedAmount).toBe(999);
      const credits = fake.calls.filter((call) => call.name === 'creditTopUp');
      expect(credits).toHaveLength(1);
      expect(credits[0]!.input).toMatchObject({ amount: 999, currency: 'usd', checkoutSessionId: session.id });
      await recordHistory(suite.env.client, handle.workflowId, 'topup-credited-lean-actions.json');
    });
  });

  it('expires after 24 hours without an event, crediting nothing, without waiting in real time', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { handle } = await startTopUp(taskQueue, 'tu_c');
      const before = await suite.env.currentTimeMs();
      const state = await handle.result();
      const elapsedHours = (Number(await suite.env.currentTimeMs()) - Number(before)) / 3_600_000;
      expect(state.status).toBe('expired');
      expect(elapsedHours).toBeGreaterThanOrEqual(24);
      expect(fake.names()).toContain('retrieveCheckoutSession');
      expect(fake.names()).not.toContain('creditTopUp');
      expect(fake.calls.find((call) => call.name === 'recordTopUpStatus')?.input).toMatchObject({ status: 'expired' });
    });
  });

  it('reconciles with Stripe when the completion event never arrives but the session was paid', async () => {
    const fake = fakeActivities();
    fake.setRetrieveResult('paid');
    await withWorker(fake.activities, async (taskQueue) => {
      const { handle } = await startTopUp(taskQueue, 'tu_d');
      const state = await handle.result();
      expect(state.status).toBe('credited');
      expect(fake.calls.filter((call) => call.name === 'creditTopUp')).toHaveLength(1);
    });
  });

  it('records an expired session and ignores a late completion for it', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { session, handle } = await startTopUp(taskQueue, 'tu_e');
      await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_x', sessionId: session.id, type: 'checkout.session.expired' }));
      const state = await handle.result();
      expect(state.status).toBe('expired');
      expect(fake.names()).not.toContain('creditTopUp');
    });
  });

  it('waits for the async payment after an unpaid completion and records a failure without crediting', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const { session, handle } = await startTopUp(taskQueue, 'tu_f');
      await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_p', sessionId: session.id, paymentStatus: 'unpaid' }));
      await suite.env.sleep('2 days');
      expect((await handle.query(topUpStateQuery)).status).toBe('processing');
      await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_f', sessionId: session.id, type: 'checkout.session.async_payment_failed' }));
      const state = await handle.result();
      expect(state.status).toBe('failed');
      expect(fake.names()).not.toContain('creditTopUp');
    });
  });

  it('drops events for a top-up this system never created', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await suite.env.client.workflow.signalWithStart(topUpWorkflow, {
        workflowId: 'topup:t1:tu_unknown',
        taskQueue,
        args: [{ tenantId: 't1', topUpId: 'tu_unknown', retry }],
        signal: checkoutSessionEventSignal,
        signalArgs: [event({ eventId: 'evt_u', sessionId: 'cs_other' })],
      });
      const state = await handle.result();
      expect(state.eventLog).toEqual([{ eventId: 'evt_u', type: 'checkout.session.completed', outcome: 'ignored: unknown top-up' }]);
      expect(fake.names()).not.toContain('creditTopUp');
    });
  });
});

describe('TopUp workflow deduplication while an event is being applied', () => {
  it('treats a redelivery that arrives during the credit activity as a duplicate', async () => {
    const fake = fakeActivities();
    let releaseCredit: () => void = () => undefined;
    const creditStarted = new Promise<void>((started) => {
      const original = fake.activities.creditTopUp;
      fake.activities.creditTopUp = async (input) => {
        started();
        await new Promise<void>((release) => {
          releaseCredit = release;
        });
        return original(input);
      };
    });
    await withWorker(fake.activities, async (taskQueue) => {
      const { session, handle } = await startTopUp(taskQueue, 'tu_g');
      await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_slow', sessionId: session.id }));
      await creditStarted;
      await handle.signal(checkoutSessionEventSignal, event({ eventId: 'evt_slow', sessionId: session.id }));
      releaseCredit();
      const state = await handle.result();
      expect(state.status).toBe('credited');
      expect(state.eventLog.filter((entry) => entry.eventId === 'evt_slow')).toHaveLength(1);
      expect(fake.calls.filter((call) => call.name === 'creditTopUp')).toHaveLength(1);
    });
  });
});
