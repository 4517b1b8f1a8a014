/**
 * Maps Stripe subscription and invoice objects into the compact snapshots the Subscription workflow keeps
 * (src/domain/subscription/contracts.ts). Used by the webhook router and the subscription activities.
 */
import type Stripe from 'stripe';
import type { InvoiceSnapshot, SubscriptionSnapshot, SubscriptionStatus } from '../domain/subscription/contracts.js';
import { expandableId } from './ids.js';

export function subscriptionSnapshot(subscription: Stripe.Subscription): SubscriptionSnapshot {
  const item = subscription.items?.data?.[0];
  const price = item?.price;
  return {
    id: subscription.id,
    customerId: expandableId(subscription.customer),
    accountId: subscription.metadata?.account_id ?? null,
    status: subscription.status as SubscriptionStatus,
    priceId: price?.id ?? null,
    productId: price ? expandableId(price.product) : null,
    unitAmount: price?.unit_amount ?? null,
    currency: (price?.currency ?? subscription.currency ?? null)?.toLowerCase() ?? null,
    interval: price?.recurring?.interval ?? null,
    intervalCount: price?.recurring?.interval_count ?? null,
    quantity: item?.quantity ?? null,
    currentPeriodStart: item?.current_period_start ?? null,
    currentPeriodEnd: item?.current_period_end ?? null,
    cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    canceledAt: subscription.canceled_at ?? null,
  };
}

/** The subscription an invoice belongs to (2025+ API shape: invoice.parent.subscription_details). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return expandableId(invoice.parent?.subscription_details?.subscription);
}

export function invoiceSnapshot(invoice: Stripe.Invoice, subscriptionId: string): InvoiceSnapshot {
  const lines = invoice.lines?.data ?? [];
  const priced = lines.find((line) => line.pricing?.price_details?.price);
  const line = priced ?? lines[0];
  return {
    id: invoice.id!,
    subscriptionId,
    customerId: expandableId(invoice.customer),
    accountId: invoice.parent?.subscription_details?.metadata?.account_id ?? null,
    amountPaid: invoice.amount_paid ?? 0,
    currency: (invoice.currency ?? '').toLowerCase(),
    priceId: priced ? expandableId(priced.pricing!.price_details!.price) : null,
    periodStart: line?.period?.start ?? invoice.period_start ?? null,
    periodEnd: line?.period?.end ?? invoice.period_end ?? null,
    billingReason: invoice.billing_reason ?? null,
    attemptCount: invoice.attempt_count ?? 0,
  };
}
