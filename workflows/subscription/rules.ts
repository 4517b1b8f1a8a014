import type { SubscriptionProjection, SubscriptionSnapshot } from '../../src/domain/subscription/contracts.js';
import { snapshotSupersedes, statusSupersedes, type StatusSource } from '../../src/domain/subscription/lifecycle.js';
import type { SubscriptionInput, SubscriptionState, SubscriptionWorkflowStatus } from './messages.js';

/** Stripe's deleted event can lag the period end a little; only then do we ask Stripe ourselves. */
const PERIOD_END_GRACE_SECONDS = 60 * 60;
export const RECHECK_SECONDS = 24 * 60 * 60;
export const INVOICE_ID_LIMIT = 500;
export const HISTORY_LIST_LIMIT = 50;

const TERMINAL: ReadonlySet<SubscriptionWorkflowStatus> = new Set(['canceled', 'incomplete_expired']);

export const isTerminal = (status: SubscriptionWorkflowStatus): boolean => TERMINAL.has(status);

export function initialSubscriptionState(input: Pick<SubscriptionInput, 'tenantId' | 'subscriptionId'>): SubscriptionState {
  return {
    tenantId: input.tenantId,
    subscriptionId: input.subscriptionId,
    status: 'pending',
    accountId: null,
    customerId: null,
    priceId: null,
    productId: null,
    unitAmount: null,
    currency: null,
    interval: null,
    intervalCount: null,
    quantity: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    cycles: 0,
    creditsGranted: 0,
    snapshotAt: 0,
    statusAt: 0,
    statusSource: null,
    snapshotSource: null,
    clock: 0,
    nextCheckAt: null,
    cancelRequests: 0,
    planChanges: [],
    paymentFailures: [],
    paidInvoiceIds: [],
    openFailedInvoiceIds: [],
    seenEventIds: [],
    eventLog: [],
    run: 1,
    eventsThisRun: 0,
  };
}

/** What the database keeps of the subscription; undefined while nothing is known ('pending'). */
export function projectionOf(state: SubscriptionState): SubscriptionProjection | undefined {
  if (state.status === 'pending') return undefined;
  return {
    tenantId: state.tenantId,
    subscriptionId: state.subscriptionId,
    accountId: state.accountId,
    customerId: state.customerId,
    status: state.status,
    priceId: state.priceId,
    productId: state.productId,
    unitAmount: state.unitAmount,
    currency: state.currency,
    interval: state.interval,
    intervalCount: state.intervalCount,
    quantity: state.quantity,
    currentPeriodStart: state.currentPeriodStart,
    currentPeriodEnd: state.currentPeriodEnd,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    canceledAt: state.canceledAt,
    statusAt: state.statusAt,
  };
}

/** When to ask Stripe (Unix seconds): a pending re-check, or a cancellation at period end that is due; else null. */
export function checkDueAt(state: Pick<SubscriptionState, 'status' | 'nextCheckAt' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'>): number | null {
  if (isTerminal(state.status)) return null;
  if (state.nextCheckAt !== null) return state.nextCheckAt;
  if (state.cancelAtPeriodEnd && state.currentPeriodEnd !== null) return state.currentPeriodEnd + PERIOD_END_GRACE_SECONDS;
  return null;
}

/**
 * Why a subscription snapshot does not apply (older, after a final status, or moving the status back), or undefined.
 * `lifecycleOrder` (a patch) is asked only when the lifecycle order alone would refuse it.
 */
export function snapshotRefusal(
  state: SubscriptionState,
  snapshot: Pick<SubscriptionSnapshot, 'status'>,
  at: number,
  source: StatusSource,
  lifecycleOrder: () => boolean,
): string | undefined {
  if (at < state.snapshotAt) return 'ignored: older than the state already applied';
  if (isTerminal(state.status) && !isTerminal(snapshot.status)) return `ignored: already ${state.status}`;
  const incoming = { status: snapshot.status, at, source };
  const lastSnapshot = { status: state.snapshotStatus ?? state.status, at: state.snapshotAt, source: state.snapshotSource };
  if (!snapshotSupersedes(incoming, lastSnapshot, state.status) && lifecycleOrder()) {
    return `ignored: ${snapshot.status} (${source}) would move ${state.status} back`;
  }
  return undefined;
}

/** The plan change a snapshot makes (price or quantity), or undefined before the first plan is known. */
export function planChangeOf(state: SubscriptionState, snapshot: Pick<SubscriptionSnapshot, 'priceId' | 'quantity'>, at: number): SubscriptionState['planChanges'][number] | undefined {
  if (state.priceId === null || (snapshot.priceId === state.priceId && snapshot.quantity === state.quantity)) return undefined;
  return { at, fromPriceId: state.priceId, toPriceId: snapshot.priceId, fromQuantity: state.quantity, toQuantity: snapshot.quantity };
}

/** Writes the snapshot's terms into the state (in place); the status is decided separately. */
export function adoptSnapshot(state: SubscriptionState, snapshot: SubscriptionSnapshot, at: number, source: StatusSource): void {
  state.snapshotAt = at;
  state.snapshotStatus = snapshot.status;
  state.snapshotSource = source;
  state.accountId = snapshot.accountId ?? state.accountId;
  state.customerId = snapshot.customerId ?? state.customerId;
  state.priceId = snapshot.priceId;
  state.productId = snapshot.productId;
  state.unitAmount = snapshot.unitAmount;
  state.currency = snapshot.currency;
  state.interval = snapshot.interval;
  state.intervalCount = snapshot.intervalCount;
  state.quantity = snapshot.quantity;
  state.currentPeriodStart = snapshot.currentPeriodStart ?? state.currentPeriodStart;
  state.currentPeriodEnd = snapshot.currentPeriodEnd ?? state.currentPeriodEnd;
  state.cancelAtPeriodEnd = snapshot.cancelAtPeriodEnd;
  state.canceledAt = snapshot.canceledAt;
  state.nextCheckAt = null;
}

/**
 * Whether an applied snapshot sets the status. By time alone (older histories) an invoice outcome newer than the
 * snapshot keeps its status (e.g. paid after past_due); by lifecycle order same-second events never move it back.
 * `lifecycleOrder` (a patch) is asked only when the two disagree.
 */
export function snapshotSetsStatus(
  state: SubscriptionState,
  snapshot: Pick<SubscriptionSnapshot, 'status'>,
  at: number,
  source: StatusSource,
  lifecycleOrder: () => boolean,
): boolean {
  const byTime = at >= state.statusAt || isTerminal(snapshot.status);
  const ordered = statusSupersedes({ status: snapshot.status, at, source }, { status: state.status, at: state.statusAt, source: state.statusSource });
  if (byTime === ordered) return ordered;
  return lifecycleOrder() ? ordered : byTime;
}

/** A paid invoice moves the period forward even if its subscription.updated is late. */
export const periodAdvances = (state: Pick<SubscriptionState, 'currentPeriodEnd'>, periodEnd: number | null): boolean =>
  periodEnd !== null && (state.currentPeriodEnd === null || periodEnd > state.currentPeriodEnd);

/** The last open failed invoice was paid: a past_due or unpaid subscription is active again. */
export const recoversToActive = (state: Pick<SubscriptionState, 'status' | 'openFailedInvoiceIds' | 'statusAt'>, at: number): boolean =>
  (state.status === 'past_due' || state.status === 'unpaid') && state.openFailedInvoiceIds.length === 0 && at >= state.statusAt;

/** How long to wait for the next event before asking Stripe (ms, at least 1 s), or undefined to wait for events only. */
export const checkTimeoutMs = (dueAt: number | null, clock: number): number | undefined => (dueAt === null ? undefined : Math.max(1_000, (dueAt - clock) * 1_000));
