/**
 * Types shared by the Subscription workflow, its activities and the webhook router, plus the pure functions
 * that turn Stripe objects into the compact snapshots the workflow keeps (workflows import types only).
 */
import type Stripe from 'stripe';

/** Stripe's subscription statuses; the workflow acts on trialing, active, past_due, unpaid and canceled. */
export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'paused';

export type SubscriptionEventType = 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';
export type InvoiceEventType = 'invoice.payment_succeeded' | 'invoice.payment_failed';

/** The plan and period fields a subscription snapshot, the workflow state and the projection share. */
export interface SubscriptionTerms {
  customerId: string | null;
  /** Wallet from subscription metadata (`account_id`, set at checkout). */
  accountId: string | null;
  priceId: string | null;
  productId: string | null;
  unitAmount: number | null;
  currency: string | null;
  interval: string | null;
  intervalCount: number | null;
  quantity: number | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: number | null;
}

/** The parts of a Stripe subscription the workflow tracks. Times are Unix seconds. */
export interface SubscriptionSnapshot extends SubscriptionTerms {
  id: string;
  status: SubscriptionStatus;
}

export interface InvoiceSnapshot {
  id: string;
  subscriptionId: string;
  customerId: string | null;
  accountId: string | null;
  amountPaid: number;
  currency: string;
  /** The subscription price billed on this invoice (first line carrying a price). */
  priceId: string | null;
  periodStart: number | null;
  periodEnd: number | null;
  billingReason: string | null;
  attemptCount: number;
}

export type SubscriptionEvent =
  | { kind: 'subscription'; eventId: string; type: SubscriptionEventType; created: number; subscription: SubscriptionSnapshot }
  | { kind: 'invoice'; eventId: string; type: InvoiceEventType; created: number; invoice: InvoiceSnapshot };

/** What the workflow keeps in the database projection (GET /v1/subscriptions lists from it). */
export interface SubscriptionProjection extends Omit<SubscriptionSnapshot, 'id'> {
  tenantId: string;
  subscriptionId: string;
  /**
   * `created` (Unix seconds) of the newest event that set the status: the upsert refuses an older write, and one
   * of the same second that is earlier in the lifecycle (workflows/subscription-lifecycle.ts). Absent counts as 0.
   */
  statusAt?: number;
}

export interface GrantCycleResult {
  outcome: 'granted' | 'already_granted' | 'no_credits' | 'no_account';
  credits: number;
  currency: string | null;
  accountId: string | null;
}

/** Stripe's answer after a cancel or a reconcile, with the activity's clock (the workflow has none). */
export interface SubscriptionObservation {
  subscription: SubscriptionSnapshot;
  /** Unix seconds when the activity observed it. */
  observedAt: number;
}

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

export function subscriptionSnapshot(subscription: Stripe.Subscription): SubscriptionSnapshot {
  const item = subscription.items?.data?.[0];
  const price = item?.price;
  return {
    id: subscription.id,
    customerId: idOf(subscription.customer),
    accountId: subscription.metadata?.account_id ?? null,
    status: subscription.status as SubscriptionStatus,
    priceId: price?.id ?? null,
    productId: price ? idOf(price.product) : null,
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
  return idOf(invoice.parent?.subscription_details?.subscription);
}

export function invoiceSnapshot(invoice: Stripe.Invoice, subscriptionId: string): InvoiceSnapshot {
  const lines = invoice.lines?.data ?? [];
  const priced = lines.find((line) => line.pricing?.price_details?.price);
  const line = priced ?? lines[0];
  return {
    id: invoice.id!,
    subscriptionId,
    customerId: idOf(invoice.customer),
    accountId: invoice.parent?.subscription_details?.metadata?.account_id ?? null,
    amountPaid: invoice.amount_paid ?? 0,
    currency: (invoice.currency ?? '').toLowerCase(),
    priceId: priced ? idOf(priced.pricing!.price_details!.price) : null,
    periodStart: line?.period?.start ?? invoice.period_start ?? null,
    periodEnd: line?.period?.end ?? invoice.period_end ?? null,
    billingReason: invoice.billing_reason ?? null,
    attemptCount: invoice.attempt_count ?? 0,
  };
}
