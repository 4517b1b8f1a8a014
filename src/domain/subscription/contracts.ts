/**
 * Contracts of the Subscription workflow, its activities and the webhook router. The mapping from Stripe objects
 * into these snapshots lives in src/stripe/subscription-snapshot.ts.
 */

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
   * of the same second that is earlier in the lifecycle (src/domain/subscription/lifecycle.ts). Absent counts as 0.
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
