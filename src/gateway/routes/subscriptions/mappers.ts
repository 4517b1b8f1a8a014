import type { CatalogPrice } from '../../../db/catalog.js';
import type { CycleSummary, SubscriptionRecord } from '../../../db/subscriptions.js';
import type { SubscriptionState } from '../../../../workflows/subscription/messages.js';
import { isoFromSeconds } from '../../schemas.js';

export function priceJson(price: CatalogPrice) {
  return {
    id: price.id,
    currency: price.currency,
    unit_amount: price.unitAmount,
    nickname: price.nickname,
    lookup_key: price.lookupKey,
    interval: price.interval,
    interval_count: price.intervalCount,
    credits_per_cycle: price.creditsPerCycle,
  };
}

type SubscriptionFields = Omit<SubscriptionRecord, 'tenantId' | 'subscriptionId' | 'createdAt' | 'updatedAt' | 'status'> & { status: string };

export function subscriptionJson(id: string, s: SubscriptionFields) {
  return {
    id,
    account_id: s.accountId,
    customer_id: s.customerId,
    status: s.status,
    price_id: s.priceId,
    product_id: s.productId,
    unit_amount: s.unitAmount,
    currency: s.currency,
    interval: s.interval,
    interval_count: s.intervalCount,
    quantity: s.quantity,
    current_period_start: isoFromSeconds(s.currentPeriodStart),
    current_period_end: isoFromSeconds(s.currentPeriodEnd),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: isoFromSeconds(s.canceledAt),
  };
}

/** The workflow's state as the detail answer. */
export function subscriptionDetailJson(state: SubscriptionState) {
  return {
    ...subscriptionJson(state.subscriptionId, state),
    cycles: state.cycles,
    credits_granted: state.creditsGranted,
    plan_changes: state.planChanges,
    payment_failures: state.paymentFailures,
    event_log: state.eventLog.map((entry) => ({ event_id: entry.eventId, type: entry.type, outcome: entry.outcome })),
  };
}

/** The detail answer once the workflow is past the namespace's retention: the projection is all there is. */
export function storedSubscriptionDetailJson(record: SubscriptionRecord) {
  return { ...subscriptionJson(record.subscriptionId, record), cycles: 0, credits_granted: 0, plan_changes: [], payment_failures: [], event_log: [] };
}

const renews = (status: string, cancelAtPeriodEnd: boolean) => !cancelAtPeriodEnd && ['trialing', 'active', 'past_due'].includes(status);

export function subscriptionSummaryJson(record: SubscriptionRecord, cycles: CycleSummary) {
  const periodEnd = isoFromSeconds(record.currentPeriodEnd);
  return {
    id: record.subscriptionId,
    status: record.status,
    cycles: cycles.cycles,
    failed_invoices: cycles.failedInvoices,
    credits_granted: cycles.creditsGranted,
    current_period_end: periodEnd,
    next_renewal: renews(record.status, record.cancelAtPeriodEnd) ? periodEnd : null,
    ends_at: record.status === 'canceled' ? isoFromSeconds(record.canceledAt) : record.cancelAtPeriodEnd ? periodEnd : null,
    last_paid_at: cycles.lastPaidAt,
  };
}
