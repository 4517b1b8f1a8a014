import { describe, expect, it } from 'vitest';
import type { SubscriptionSnapshot } from '../../../src/domain/subscription/contracts.js';
import type { SubscriptionState } from '../../../workflows/subscription/messages.js';
import {
  adoptSnapshot,
  checkDueAt,
  checkTimeoutMs,
  initialSubscriptionState,
  periodAdvances,
  planChangeOf,
  projectionOf,
  recoversToActive,
  snapshotRefusal,
  snapshotSetsStatus,
} from '../../../workflows/subscription/rules.js';

const snapshot: SubscriptionSnapshot = {
  id: 'sub_1',
  status: 'active',
  customerId: 'cus_1',
  accountId: 'acc_1',
  priceId: 'price_a',
  productId: 'prod_1',
  unitAmount: 1000,
  currency: 'eur',
  interval: 'month',
  intervalCount: 1,
  quantity: 1,
  currentPeriodStart: 100,
  currentPeriodEnd: 200,
  cancelAtPeriodEnd: false,
  canceledAt: null,
};

function subscription(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return { ...initialSubscriptionState({ tenantId: 't_1', subscriptionId: 'sub_1' }), ...overrides };
}

const never = () => {
  throw new Error('the patch must not be asked here');
};

describe('subscription rules', () => {
  it('refuses an older snapshot, and a non-final one after a final status', () => {
    expect(snapshotRefusal(subscription({ snapshotAt: 50 }), snapshot, 40, 'customer.subscription.updated', never)).toBe('ignored: older than the state already applied');
    expect(snapshotRefusal(subscription({ status: 'canceled' }), snapshot, 60, 'customer.subscription.updated', never)).toBe('ignored: already canceled');
  });

  it('refuses a same-second snapshot that would move the status back only under the lifecycle patch', () => {
    const state = subscription({ status: 'active', statusAt: 50, snapshotAt: 50, snapshotStatus: 'active', snapshotSource: 'customer.subscription.updated' });
    const incomplete = { status: 'incomplete' as const };
    expect(snapshotRefusal(state, incomplete, 50, 'customer.subscription.created', () => true)).toBe(
      'ignored: incomplete (customer.subscription.created) would move active back',
    );
    expect(snapshotRefusal(state, incomplete, 50, 'customer.subscription.created', () => false)).toBeUndefined();
  });

  it('a newer snapshot sets the status without asking the patch', () => {
    const state = subscription({ status: 'active', statusAt: 50 });
    expect(snapshotSetsStatus(state, { status: 'past_due' }, 60, 'customer.subscription.updated', never)).toBe(true);
  });

  it('records a plan change once a plan is known', () => {
    expect(planChangeOf(subscription(), snapshot, 10)).toBeUndefined();
    const state = subscription({ priceId: 'price_a', quantity: 1 });
    expect(planChangeOf(state, snapshot, 10)).toBeUndefined();
    expect(planChangeOf(state, { priceId: 'price_b', quantity: 2 }, 10)).toEqual({ at: 10, fromPriceId: 'price_a', toPriceId: 'price_b', fromQuantity: 1, toQuantity: 2 });
  });

  it('adopts a snapshot’s terms and clears the pending check', () => {
    const state = subscription({ nextCheckAt: 999, currentPeriodEnd: 150 });
    adoptSnapshot(state, { ...snapshot, currentPeriodEnd: null }, 70, 'customer.subscription.updated');
    expect(state).toMatchObject({ snapshotAt: 70, snapshotStatus: 'active', priceId: 'price_a', currentPeriodEnd: 150, nextCheckAt: null, status: 'pending' });
  });

  it('checks with Stripe an hour after a period end that cancels, or at the re-check time', () => {
    expect(checkDueAt(subscription({ status: 'active', cancelAtPeriodEnd: true, currentPeriodEnd: 1_000 }))).toBe(4_600);
    expect(checkDueAt(subscription({ status: 'active', nextCheckAt: 2_000, cancelAtPeriodEnd: true, currentPeriodEnd: 1_000 }))).toBe(2_000);
    expect(checkDueAt(subscription({ status: 'canceled', nextCheckAt: 2_000 }))).toBeNull();
    expect(checkDueAt(subscription({ status: 'active' }))).toBeNull();
    expect(checkTimeoutMs(4_600, 4_000)).toBe(600_000);
    expect(checkTimeoutMs(4_600, 5_000)).toBe(1_000);
    expect(checkTimeoutMs(null, 5_000)).toBeUndefined();
  });

  it('a paid invoice moves the period forward and recovers a past_due subscription when nothing else is open', () => {
    expect(periodAdvances({ currentPeriodEnd: 200 }, 300)).toBe(true);
    expect(periodAdvances({ currentPeriodEnd: 200 }, 200)).toBe(false);
    expect(periodAdvances({ currentPeriodEnd: null }, null)).toBe(false);
    expect(recoversToActive({ status: 'past_due', openFailedInvoiceIds: [], statusAt: 10 }, 10)).toBe(true);
    expect(recoversToActive({ status: 'past_due', openFailedInvoiceIds: ['in_2'], statusAt: 10 }, 10)).toBe(false);
    expect(recoversToActive({ status: 'active', openFailedInvoiceIds: [], statusAt: 10 }, 10)).toBe(false);
  });

  it('projects nothing while pending', () => {
    expect(projectionOf(subscription())).toBeUndefined();
    expect(projectionOf(subscription({ status: 'active', statusAt: 5 }))).toMatchObject({ tenantId: 't_1', subscriptionId: 'sub_1', status: 'active', statusAt: 5 });
  });
});
