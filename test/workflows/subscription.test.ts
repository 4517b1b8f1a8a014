import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { SubscriptionActivities } from '../../activities/subscription.js';
import type { InvoiceSnapshot, SubscriptionEvent, SubscriptionSnapshot } from '../../src/domain/subscription/contracts.js';
import {
  cancelSubscriptionUpdate,
  subscriptionEventSignal,
  subscriptionStateQuery,
  type SubscriptionState,
} from '../../workflows/subscription/messages.js';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import { fakeRecoveryHooks } from '../helpers/recovery-hook-fakes.js';
import { recordHistory, timeSkippingSuite } from '../helpers/temporal.js';

const MONTH = 30 * 24 * 60 * 60;
const START = 1_900_000_000;

/** Records activity calls; the ledger's exactly-once (unique source key per invoice) is simulated by a set. */
function fakeActivities(
  options: {
    reconcileStatus?: SubscriptionSnapshot['status'];
    /** Awaited inside recordInvoicePaymentFailed, so a test can deliver a redelivery while the event is applied. */
    holdFailure?: Promise<void>;
    /** Invoices whose grant fails as non-retryable (bad input). */
    badInvoices?: string[];
  } = {},
) {
  const calls: Array<{ name: string; input: any }> = [];
  const grantedInvoices = new Set<string>();
  let lastSnapshot: SubscriptionSnapshot | undefined;
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
      if (options.badInvoices?.includes(input.invoice.id)) {
        throw ApplicationFailure.nonRetryable(`invoice ${input.invoice.id} has no usable price`, 'ValidationError');
      }
      const first = !grantedInvoices.has(input.invoice.id);
      grantedInvoices.add(input.invoice.id);
      return { outcome: first ? 'granted' : 'already_granted', credits: 100, currency: 'usd', accountId: input.accountId };
    },
    async recordInvoicePaymentFailed(input) {
      calls.push({ name: 'recordInvoicePaymentFailed', input });
      await options.holdFailure;
    },
    async cancelSubscription(input) {
      calls.push({ name: 'cancelSubscription', input });
      lastSnapshot = { ...snapshot(input.subscriptionId, 0), cancelAtPeriodEnd: input.atPeriodEnd, status: input.atPeriodEnd ? 'active' : 'canceled' };
      return { subscription: lastSnapshot, observedAt: START + 10 * 24 * 3600 };
    },
    async retrieveSubscription(input) {
      calls.push({ name: 'retrieveSubscription', input });
      return {
        subscription: { ...snapshot(input.subscriptionId, 0), status: options.reconcileStatus ?? 'canceled', canceledAt: START + MONTH },
        observedAt: START + MONTH + 7200,
      };
    },
  };
  return { activities: { ...activities, ...fakeRecoveryHooks(calls) }, calls, grantedInvoices, count: (name: string) => calls.filter((call) => call.name === name).length };
}

function snapshot(id: string, cycle: number, overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    id,
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
    ...overrides,
  };
}

function invoice(subscriptionId: string, cycle: number): InvoiceSnapshot {
  return {
    id: `in_${cycle}`,
    subscriptionId,
    customerId: 'cus_1',
    accountId: 'acct_1',
    amountPaid: 2000,
    currency: 'usd',
    priceId: 'price_basic',
    periodStart: START + cycle * MONTH,
    periodEnd: START + (cycle + 1) * MONTH,
    billingReason: cycle === 0 ? 'subscription_create' : 'subscription_cycle',
    attemptCount: 1,
  };
}

const subEvent = (eventId: string, type: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted', created: number, s: SubscriptionSnapshot): SubscriptionEvent => ({
  kind: 'subscription',
  eventId,
  type,
  created,
  subscription: s,
});
const paid = (eventId: string, created: number, inv: InvoiceSnapshot): SubscriptionEvent => ({ kind: 'invoice', eventId, type: 'invoice.payment_succeeded', created, invoice: inv });
const failed = (eventId: string, created: number, inv: InvoiceSnapshot): SubscriptionEvent => ({ kind: 'invoice', eventId, type: 'invoice.payment_failed', created, invoice: inv });

const retry = { intervalsMs: [100, 200] };
const suite = timeSkippingSuite('subscription');

function withWorker<T>(activities: SubscriptionActivities & RecoveryHookActivities, run: (taskQueue: string) => Promise<T>): Promise<T> {
  return suite.withWorker(activities, run);
}

async function waitForState(workflowId: string, done: (state: any) => boolean, env: TestWorkflowEnvironment = suite.env): Promise<any> {
  for (let i = 0; i < 120; i++) {
    const state = await env.client.workflow.getHandle(workflowId).query(subscriptionStateQuery).catch(() => undefined);
    if (state && done(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const last = await env.client.workflow.getHandle(workflowId).query(subscriptionStateQuery).catch((e) => String(e));
  throw new Error(`timed out waiting for ${workflowId}: ${JSON.stringify(last).slice(0, 3000)}`);
}

/** The event's outcome is logged: its activities are done (it counts as seen from the moment it is taken). */
const applied = (eventId: string) => (state: SubscriptionState) => state.eventLog.some((entry) => entry.eventId === eventId);

describe('Subscription workflow', () => {
  it('grants credits for 24 monthly cycles exactly once through duplicates, reordering and continue-as-new', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const subscriptionId = 'sub_24';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [{ tenantId: 't1', subscriptionId, retry, continueAsNewAfterEvents: 10 }],
      });
      const firstRunId = handle.firstExecutionRunId;
      await handle.signal(subscriptionEventSignal, subEvent('evt_created', 'customer.subscription.created', START, snapshot(subscriptionId, 0)));

      for (let cycle = 0; cycle < 24; cycle += 2) {
        // Reordered: the later invoice and its subscription.updated arrive before the earlier ones.
        const [a, b] = [cycle, cycle + 1];
        const at = (n: number) => START + n * MONTH + 60;
        await handle.signal(subscriptionEventSignal, paid(`evt_paid_${b}`, at(b), invoice(subscriptionId, b)));
        await handle.signal(subscriptionEventSignal, subEvent(`evt_upd_${b}`, 'customer.subscription.updated', at(b), snapshot(subscriptionId, b)));
        await handle.signal(subscriptionEventSignal, subEvent(`evt_upd_${a}`, 'customer.subscription.updated', at(a), snapshot(subscriptionId, a)));
        await handle.signal(subscriptionEventSignal, paid(`evt_paid_${a}`, at(a), invoice(subscriptionId, a)));
        // Duplicates: the same event redelivered, and a second event for an already paid invoice.
        await handle.signal(subscriptionEventSignal, paid(`evt_paid_${a}`, at(a), invoice(subscriptionId, a)));
        await handle.signal(subscriptionEventSignal, paid(`evt_paid_again_${b}`, at(b) + 5, invoice(subscriptionId, b)));
        // A failure reported late for an invoice that was already paid changes nothing.
        await handle.signal(subscriptionEventSignal, failed(`evt_failed_late_${a}`, at(a) - 30, invoice(subscriptionId, a)));
      }
      // Redelivery of a very early event after several continue-as-new runs.
      await handle.signal(subscriptionEventSignal, paid('evt_paid_0', START + 60, invoice(subscriptionId, 0)));

      const state = await waitForState(workflowId, (s) => s.cycles === 24 && s.seenEventIds.includes('evt_failed_late_22'));
      expect(state.cycles).toBe(24);
      expect(state.creditsGranted).toBe(2400);
      expect(state.status).toBe('active');
      // The period only ever moves forward, whatever order the snapshots came in.
      expect(state.currentPeriodEnd).toBe(START + 24 * MONTH);

      const grants = fake.calls.filter((call) => call.name === 'grantCycleCredits').map((call) => call.input.invoice.id);
      expect(new Set(grants).size).toBe(24);
      expect(fake.grantedInvoices.size).toBe(24);
      // The workflow's own dedup (carried across runs) keeps duplicates away from the activity entirely.
      expect(grants).toHaveLength(24);
      expect(fake.count('recordInvoicePaymentFailed')).toBe(0);

      // Continued as new several times, each run's history bounded.
      expect(state.run).toBeGreaterThan(5);
      const latest = await suite.env.client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).not.toBe(firstRunId);
      const history = await suite.env.client.workflow.getHandle(workflowId, latest.runId).fetchHistory();
      expect(history.events!.length).toBeLessThan(400);

      await handle.signal(
        subscriptionEventSignal,
        subEvent('evt_deleted', 'customer.subscription.deleted', START + 24 * MONTH + 60, snapshot(subscriptionId, 23, { status: 'canceled', canceledAt: START + 24 * MONTH })),
      );
      // A fresh handle: the time-skipping server does not follow the continue-as-new chain from the first run's handle.
      const final = await suite.env.client.workflow.getHandle(workflowId).result();
      expect(final.status).toBe('canceled');
      expect(final.cycles).toBe(24);
    });
  });

  it('marks past_due on a failed payment, starts a recovery campaign, and stops it once paid', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const subscriptionId = 'sub_dunning';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, { workflowId, taskQueue, args: [{ tenantId: 't1', subscriptionId, retry }] });
      await handle.signal(subscriptionEventSignal, subEvent('e1', 'customer.subscription.created', START, snapshot(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, paid('e2', START + 10, invoice(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, failed('e3', START + MONTH + 10, invoice(subscriptionId, 1)));
      const pastDue = await waitForState(workflowId, (s) => s.status === 'past_due');
      expect(pastDue.paymentFailures).toEqual([{ invoiceId: 'in_1', at: START + MONTH + 10, attemptCount: 1 }]);
      expect(fake.count('recordInvoicePaymentFailed')).toBe(1);
      // An older snapshot still saying active arrives late: status stays past_due.
      await handle.signal(subscriptionEventSignal, subEvent('e4', 'customer.subscription.updated', START + MONTH, snapshot(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, paid('e5', START + MONTH + 3 * 86400, invoice(subscriptionId, 1)));
      const recovered = await waitForState(workflowId, applied('e5'));
      expect(recovered.cycles).toBe(2);
      expect(recovered.status).toBe('active');
      expect(fake.calls.filter((call) => call.name === 'startSubscriptionInvoiceRecovery').map((call) => call.input)).toEqual([
        expect.objectContaining({ tenantId: 't1', subscriptionId, invoiceId: 'in_1' }),
      ]);
      expect(fake.calls.filter((call) => call.name === 'notifyItemPaid').map((call) => call.input)).toEqual([
        expect.objectContaining({ item: { kind: 'subscription_invoice', ref: 'in_1' }, via: 'subscription' }),
      ]);
      await handle.terminate('test done');
      await recordHistory(suite.env.client, workflowId, 'subscription-payment-failed-then-recovered.json');
    });
  });

  it('cancel at period end stops renewal: the workflow ends at the period end without another cycle', async () => {
    const fake = fakeActivities();
    // The only test here that needs time to skip: on a server of its own, so locks leaked by the others cannot stall it.
    await suite.withOwnServer(fake.activities, async (taskQueue, env) => {
      const subscriptionId = 'sub_cancel';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await env.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [{ tenantId: 't1', subscriptionId, retry }],
        // Bounds the wait below in skipped time: a workflow that renews instead of ending fails the test at once.
        workflowExecutionTimeout: '90 days',
      });
      await handle.signal(subscriptionEventSignal, subEvent('c1', 'customer.subscription.created', START, snapshot(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, paid('c2', START + 10, invoice(subscriptionId, 0)));
      await waitForState(workflowId, (s) => s.cycles === 1, env);

      const afterCancel = await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: true }] });
      expect(afterCancel.cancelAtPeriodEnd).toBe(true);
      expect(afterCancel.status).toBe('active');
      // Asking twice does not call Stripe twice.
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: true }] });
      expect(fake.calls.filter((call) => call.name === 'cancelSubscription').map((call) => call.input)).toEqual([
        { tenantId: 't1', subscriptionId, atPeriodEnd: true, requestNumber: 1 },
      ]);

      const before = Number(await env.currentTimeMs());
      const final = await handle.result();
      const elapsedDays = (Number(await env.currentTimeMs()) - before) / 86_400_000;
      expect(final.status).toBe('canceled');
      expect(final.cycles).toBe(1);
      expect(fake.count('grantCycleCredits')).toBe(1);
      expect(fake.count('retrieveSubscription')).toBe(1);
      // Slept (in skipped time) until the period end, 20 days after the cancel was observed.
      expect(elapsedDays).toBeGreaterThanOrEqual(19);
      await expect(handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] })).rejects.toThrow();
      await recordHistory(env.client, workflowId, 'subscription-cancel-at-period-end.json');
    });
  });

  it('a created event (incomplete) arriving after an updated one (active) of the same second does not regress the status', async () => {
    const fake = fakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const subscriptionId = 'sub_same_second';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, { workflowId, taskQueue, args: [{ tenantId: 't1', subscriptionId, retry }] });
      await handle.signal(subscriptionEventSignal, subEvent('s1', 'customer.subscription.updated', START, snapshot(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, subEvent('s2', 'customer.subscription.created', START, snapshot(subscriptionId, 0, { status: 'incomplete' })));
      const state = await waitForState(workflowId, applied('s2'));
      expect(state.status).toBe('active');
      expect(state.eventLog.find((entry: any) => entry.eventId === 's2').outcome).toMatch(/^ignored/);
      const written = fake.calls.filter((call) => call.name === 'recordSubscription').map((call) => call.input.status);
      expect(written).not.toContain('incomplete');
      expect(written.at(-1)).toBe('active');
      // Legitimate moves still happen: a newer failure makes it past_due, a newer payment active again.
      await handle.signal(subscriptionEventSignal, failed('s3', START + MONTH, invoice(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, subEvent('s4', 'customer.subscription.updated', START + MONTH, snapshot(subscriptionId, 1, { status: 'past_due' })));
      expect((await waitForState(workflowId, applied('s4'))).status).toBe('past_due');
      await handle.signal(subscriptionEventSignal, paid('s5', START + MONTH + 3600, invoice(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, subEvent('s6', 'customer.subscription.updated', START + MONTH + 3600, snapshot(subscriptionId, 1)));
      // Reordered: an older past_due snapshot and a same-second created one change nothing.
      await handle.signal(subscriptionEventSignal, subEvent('s7', 'customer.subscription.updated', START + MONTH + 10, snapshot(subscriptionId, 1, { status: 'past_due' })));
      await handle.signal(subscriptionEventSignal, subEvent('s8', 'customer.subscription.created', START + MONTH + 3600, snapshot(subscriptionId, 1, { status: 'trialing' })));
      const recovered = await waitForState(workflowId, applied('s8'));
      expect(recovered.status).toBe('active');
      expect(fake.calls.filter((call) => call.name === 'recordSubscription').at(-1)!.input.status).toBe('active');
      await handle.terminate('test done');
      await recordHistory(suite.env.client, workflowId, 'subscription-created-after-updated-same-second.json');
    });
  });

  it('a redelivery arriving while the event is being applied is dropped: one payment failure', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeActivities({ holdFailure: hold });
    await withWorker(fake.activities, async (taskQueue) => {
      const subscriptionId = 'sub_redelivery';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, { workflowId, taskQueue, args: [{ tenantId: 't1', subscriptionId, retry }] });
      await handle.signal(subscriptionEventSignal, subEvent('r1', 'customer.subscription.created', START, snapshot(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, failed('r2', START + MONTH, invoice(subscriptionId, 1)));
      for (let i = 0; i < 100 && fake.count('recordInvoicePaymentFailed') === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fake.count('recordInvoicePaymentFailed')).toBe(1);
      // The activity is still running: Stripe redelivers the same event, twice.
      await handle.signal(subscriptionEventSignal, failed('r2', START + MONTH, invoice(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, failed('r2', START + MONTH, invoice(subscriptionId, 1)));
      release();
      await handle.signal(subscriptionEventSignal, subEvent('r3', 'customer.subscription.updated', START + MONTH + 1, snapshot(subscriptionId, 1, { status: 'past_due' })));
      const state = await waitForState(workflowId, applied('r3'));
      expect(fake.count('recordInvoicePaymentFailed')).toBe(1);
      expect(state.paymentFailures).toEqual([{ invoiceId: 'in_1', at: START + MONTH, attemptCount: 1 }]);
      expect(state.eventLog.filter((entry: any) => entry.eventId === 'r2')).toHaveLength(1);
      expect(fake.count('startSubscriptionInvoiceRecovery')).toBe(1);
      await handle.terminate('test done');
      await recordHistory(suite.env.client, workflowId, 'subscription-redelivered-while-applying.json');
    });
  });

  it('a non-retryable activity failure while applying an event is logged and the workflow carries on', async () => {
    const fake = fakeActivities({ badInvoices: ['in_1'] });
    await withWorker(fake.activities, async (taskQueue) => {
      const subscriptionId = 'sub_bad_input';
      const workflowId = `subscription:t1:${subscriptionId}`;
      const handle = await suite.env.client.workflow.start(subscriptionWorkflow, { workflowId, taskQueue, args: [{ tenantId: 't1', subscriptionId, retry }] });
      await handle.signal(subscriptionEventSignal, subEvent('b1', 'customer.subscription.created', START, snapshot(subscriptionId, 0)));
      await handle.signal(subscriptionEventSignal, paid('b2', START + 10, invoice(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, paid('b3', START + 20, invoice(subscriptionId, 0)));
      const state = await waitForState(workflowId, applied('b3'));
      expect(state.eventLog.find((entry: any) => entry.eventId === 'b2').outcome).toMatch(/^rejected: ValidationError: invoice in_1 has no usable price/);
      expect(state.cycles).toBe(1);
      expect(state.paidInvoiceIds).toEqual(['in_0']);
      // Failed once, not retried or looped on.
      expect(fake.calls.filter((call) => call.name === 'grantCycleCredits' && call.input.invoice.id === 'in_1')).toHaveLength(1);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      // A redelivery of the failed event is a duplicate like any other.
      await handle.signal(subscriptionEventSignal, paid('b2', START + 10, invoice(subscriptionId, 1)));
      await handle.signal(subscriptionEventSignal, subEvent('b4', 'customer.subscription.updated', START + 30, snapshot(subscriptionId, 0)));
      await waitForState(workflowId, applied('b4'));
      expect(fake.calls.filter((call) => call.name === 'grantCycleCredits' && call.input.invoice.id === 'in_1')).toHaveLength(1);
      await handle.terminate('test done');
      await recordHistory(suite.env.client, workflowId, 'subscription-activity-failed-nonretryable.json');
    });
  });
});
