/**
 * Pure, deterministic subscription lifecycle rules shared by the Subscription workflow and the projection's
 * UPDATE guard in src/db/subscriptions.ts. No I/O, no clock.
 *
 * Stripe's statuses (https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses):
 *   incomplete → active | trialing | incomplete_expired     (only the first invoice can leave it incomplete)
 *   trialing   → active | past_due | paused | canceled ...
 *   active ↔ past_due → unpaid → active (paid) | canceled   paused → active
 *   canceled, incomplete_expired: terminal (a new subscription gets a new id).
 */
import type { SubscriptionEventType, SubscriptionStatus } from './contracts.js';

/** 'pending' is the workflow's own "nothing known yet". */
export type LifecycleStatus = SubscriptionStatus | 'pending';

/**
 * One-way phases: a subscription never goes back to an earlier phase, whatever the order events arrive in.
 * Within the live phase (trialing, active, past_due, unpaid, paused) statuses move both ways by time.
 */
export const STATUS_PHASE: Record<LifecycleStatus, number> = {
  pending: -1,
  incomplete: 0,
  trialing: 1,
  active: 1,
  past_due: 1,
  unpaid: 1,
  paused: 1,
  canceled: 2,
  incomplete_expired: 2,
};

/**
 * Lifecycle rank for events of the same `created` second (Stripe's clock has one-second resolution): the
 * status further along wins. trialing ranks before the billing statuses (a trial ends into active/past_due).
 * past_due, active, unpaid and paused share a rank: which came last is decided by the event type, then arrival.
 */
export const STATUS_RANK: Record<LifecycleStatus, number> = {
  pending: -1,
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 2,
  unpaid: 2,
  paused: 2,
  canceled: 3,
  incomplete_expired: 3,
};

/** What set a status: a subscription event, an invoice outcome, or Stripe observed by an activity (cancel, reconcile). */
export type StatusSource = SubscriptionEventType | 'invoice' | 'observed';

/** Same second, same rank: a created event never overrides an updated one, nothing overrides deleted. */
export const SOURCE_PRECEDENCE: Record<StatusSource, number> = {
  'customer.subscription.created': 0,
  'customer.subscription.updated': 1,
  invoice: 1,
  observed: 1,
  'customer.subscription.deleted': 2,
};

export interface StatusVersion {
  status: LifecycleStatus;
  /** Unix seconds (the event's `created`). */
  at: number;
  /** Unknown for state from before these rules (or loaded from the projection): ranks like an update. */
  source?: StatusSource | null;
}

const precedence = (source: StatusSource | null | undefined): number => (source ? SOURCE_PRECEDENCE[source] : 1);

/** True when going from `from` to `to` would move the subscription back to an earlier phase. */
export function regresses(from: LifecycleStatus, to: LifecycleStatus): boolean {
  return STATUS_PHASE[to] < STATUS_PHASE[from];
}

/**
 * Orders two versions of the same second by lifecycle rank, then by the source's precedence:
 * < 0 when `incoming` is earlier in the lifecycle than `current`, 0 when they tie (arrival order decides), > 0 later.
 */
export function compareSameSecond(incoming: StatusVersion, current: StatusVersion): number {
  const byRank = STATUS_RANK[incoming.status] - STATUS_RANK[current.status];
  if (byRank !== 0) return byRank;
  return precedence(incoming.source) - precedence(current.source);
}

/**
 * Whether a snapshot (the whole subscription object) replaces the last one applied: strictly newer always
 * (unless it regresses the phase), older never, the same second only if it is not earlier in the lifecycle.
 */
export function snapshotSupersedes(incoming: StatusVersion, current: StatusVersion, currentStatus: LifecycleStatus): boolean {
  if (regresses(currentStatus, incoming.status)) return false;
  if (incoming.at !== current.at) return incoming.at > current.at;
  return compareSameSecond(incoming, current) >= 0;
}

/**
 * Whether an incoming status replaces the current one: never back to an earlier phase; forward in phase
 * always (e.g. a deleted event older than the last invoice outcome still ends the subscription); within a
 * phase by time, and for the same second by rank and source.
 */
export function statusSupersedes(incoming: StatusVersion, current: StatusVersion): boolean {
  if (regresses(current.status, incoming.status)) return false;
  if (STATUS_PHASE[incoming.status] > STATUS_PHASE[current.status]) return true;
  if (incoming.at !== current.at) return incoming.at > current.at;
  return compareSameSecond(incoming, current) >= 0;
}
