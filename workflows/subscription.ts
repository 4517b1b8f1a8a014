import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RecoveryHookActivities } from '../activities/recovery-hooks.js';
import type { SubscriptionActivities } from '../activities/subscription.js';
import type {
  InvoiceSnapshot,
  SubscriptionEvent,
  SubscriptionProjection,
  SubscriptionSnapshot,
  SubscriptionStatus,
  SubscriptionTerms,
} from '../activities/subscription-types.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from './search-attributes.js';
import { snapshotSupersedes, statusSupersedes, type StatusSource } from './subscription-lifecycle.js';

/** One workflow per Stripe subscription: `subscription:<tenant>:<sub id>`, driven by webhooks through signals. */
export interface SubscriptionInput {
  tenantId: string;
  subscriptionId: string;
  retry: RetrySchedule;
  /** State and unprocessed events handed over by continue-as-new. */
  carried?: { state: SubscriptionState; pending: SubscriptionEvent[] };
  /** Events per run before continuing as new (default 200); tests pass a small number. */
  continueAsNewAfterEvents?: number;
}

export interface CancelRequest {
  /** true: Stripe stops renewing at the end of the paid period; false: cancel now. */
  atPeriodEnd: boolean;
}

export type SubscriptionWorkflowStatus = SubscriptionStatus | 'pending';

/** Plan and period fields as in SubscriptionTerms (times in Unix seconds). */
export interface SubscriptionState extends SubscriptionTerms {
  tenantId: string;
  subscriptionId: string;
  /** 'pending' until the first customer.subscription.* event (or the projection) tells us more. */
  status: SubscriptionWorkflowStatus;
  /** Paid cycles and the credits they granted (in the price's currency). */
  cycles: number;
  creditsGranted: number;
  /** `created` of the newest subscription snapshot applied, so a reordered older one cannot regress state. */
  snapshotAt: number;
  /** `created` of the newest event that set the status (snapshots and invoice outcomes both do). */
  statusAt: number;
  /** What set the status at statusAt, and the status and type of the snapshot applied at snapshotAt: same-second events are ordered by them. */
  statusSource?: StatusSource | null;
  snapshotStatus?: SubscriptionWorkflowStatus;
  snapshotSource?: StatusSource | null;
  /** Best known current time (Unix seconds) from events and activities: workflow code has no clock of its own. */
  clock: number;
  /** When to ask Stripe directly (set while a cancellation at period end is due, or after an inconclusive check). */
  nextCheckAt: number | null;
  cancelRequests: number;
  planChanges: Array<{ at: number; fromPriceId: string | null; toPriceId: string | null; fromQuantity: number | null; toQuantity: number | null }>;
  paymentFailures: Array<{ invoiceId: string; at: number; attemptCount: number }>;
  /** Bounded windows: the ledger's unique key stays the exactly-once guarantee beyond them. */
  paidInvoiceIds: string[];
  openFailedInvoiceIds: string[];
  seenEventIds: string[];
  eventLog: Array<{ eventId: string; type: string; outcome: string }>;
  /** Runs of this workflow so far (continue-as-new count + 1) and events handled in the current run. */
  run: number;
  eventsThisRun: number;
}

export const subscriptionEventSignal = defineSignal<[SubscriptionEvent]>('subscriptionEvent');
export const cancelSubscriptionUpdate = defineUpdate<SubscriptionState, [CancelRequest]>('cancel');
export const subscriptionStateQuery = defineQuery<SubscriptionState>('state');

export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 200;
const SEEN_EVENT_LIMIT = 500;
const INVOICE_ID_LIMIT = 500;
const EVENT_LOG_LIMIT = 100;
const HISTORY_LIST_LIMIT = 50;
/** Subscription histories from before recovery campaigns existed replay without starting one. */
const RECOVERY_CAMPAIGNS_PATCH = 'subscription-recovery-campaigns';
/** Same-second and reordered events never move the status back (subscription-lifecycle.ts); before, arrival order decided. */
const LIFECYCLE_ORDER_PATCH = 'subscription-lifecycle-order';
/** An event is seen from the moment it is taken, so a redelivery arriving while it is applied is dropped. */
const SEEN_BEFORE_APPLY_PATCH = 'subscription-seen-before-apply';
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const SUBSCRIPTION_REJECTED_INPUT_PATCH = 'subscription-rejected-input';
/** Stripe's deleted event can lag the period end a little; only then do we ask Stripe ourselves. */
const PERIOD_END_GRACE_SECONDS = 60 * 60;
const RECHECK_SECONDS = 24 * 60 * 60;

const TERMINAL: ReadonlySet<SubscriptionWorkflowStatus> = new Set(['canceled', 'incomplete_expired']);

function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

function initialState(input: SubscriptionInput): SubscriptionState {
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

export async function subscriptionWorkflow(input: SubscriptionInput): Promise<SubscriptionState> {
  const acts = proxyActivities<SubscriptionActivities>(activityOptions(input.retry));
  const recovery = proxyActivities<RecoveryHookActivities>(activityOptions(input.retry));
  const state: SubscriptionState = input.carried ? { ...input.carried.state, eventsThisRun: 0 } : initialState(input);
  const pending: SubscriptionEvent[] = [...(input.carried?.pending ?? [])];
  const continueAsNewAfter = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  let searchAttributesKey = '';

  setHandler(subscriptionStateQuery, () => state);
  setHandler(subscriptionEventSignal, (event) => {
    if (state.seenEventIds.includes(event.eventId) || pending.some((queued) => queued.eventId === event.eventId)) {
      log.info('duplicate Stripe event ignored', { eventId: event.eventId });
      return;
    }
    pending.push(event);
  });
  setHandler(
    cancelSubscriptionUpdate,
    async ({ atPeriodEnd }) => {
      if (atPeriodEnd && state.cancelAtPeriodEnd) return state;
      state.cancelRequests += 1;
      const observed = await acts.cancelSubscription({
        tenantId: state.tenantId,
        subscriptionId: state.subscriptionId,
        atPeriodEnd,
        requestNumber: state.cancelRequests,
      });
      state.clock = Math.max(state.clock, observed.observedAt);
      state.currentPeriodEnd ??= observed.subscription.currentPeriodEnd;
      if (atPeriodEnd) {
        state.cancelAtPeriodEnd = true;
      } else if (observed.subscription.status === 'canceled') {
        state.canceledAt = observed.subscription.canceledAt ?? observed.observedAt;
        setStatus('canceled', observed.observedAt, 'observed');
      }
      // Otherwise customer.subscription.deleted follows and finishes the job.
      await record();
      return state;
    },
    {
      validator: (_request) => {
        if (TERMINAL.has(state.status)) throw new Error(`subscription is already ${state.status}`);
      },
    },
  );

  function setStatus(status: SubscriptionWorkflowStatus, at: number, source: StatusSource | null = null): void {
    state.status = status;
    state.statusAt = Math.max(state.statusAt, at);
    state.statusSource = source;
    const customer = state.accountId ?? state.customerId;
    const key = `${status}|${customer ?? ''}`;
    if (key === searchAttributesKey) return;
    searchAttributesKey = key;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      ...(customer ? [{ key: CustomerIdKey, value: customer }] : []),
    ]);
  }

  function projection(): SubscriptionProjection | undefined {
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

  async function record(): Promise<void> {
    const current = projection();
    if (current) await acts.recordSubscription(current);
  }

  function applySnapshot(snapshot: SubscriptionSnapshot, at: number, source: StatusSource): string {
    if (at < state.snapshotAt) return 'ignored: older than the state already applied';
    if (TERMINAL.has(state.status) && !TERMINAL.has(snapshot.status)) return `ignored: already ${state.status}`;
    const incoming = { status: snapshot.status, at, source };
    const lastSnapshot = { status: state.snapshotStatus ?? state.status, at: state.snapshotAt, source: state.snapshotSource };
    if (!snapshotSupersedes(incoming, lastSnapshot, state.status) && patched(LIFECYCLE_ORDER_PATCH)) {
      return `ignored: ${snapshot.status} (${source}) would move ${state.status} back`;
    }
    if (state.priceId !== null && (snapshot.priceId !== state.priceId || snapshot.quantity !== state.quantity)) {
      pushBounded(
        state.planChanges,
        { at, fromPriceId: state.priceId, toPriceId: snapshot.priceId, fromQuantity: state.quantity, toQuantity: snapshot.quantity },
        HISTORY_LIST_LIMIT,
      );
    }
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
    // An invoice outcome newer than this snapshot already decided the status (e.g. paid after past_due).
    const before = at >= state.statusAt || TERMINAL.has(snapshot.status);
    const ordered = statusSupersedes(incoming, { status: state.status, at: state.statusAt, source: state.statusSource });
    if (before === ordered ? ordered : patched(LIFECYCLE_ORDER_PATCH) ? ordered : before) setStatus(snapshot.status, at, source);
    return `status ${state.status}`;
  }

  async function onPaymentSucceeded(invoice: InvoiceSnapshot, at: number): Promise<string> {
    if (state.paidInvoiceIds.includes(invoice.id)) return 'ignored: invoice already granted';
    const result = await acts.grantCycleCredits({
      tenantId: state.tenantId,
      subscriptionId: state.subscriptionId,
      accountId: state.accountId ?? invoice.accountId,
      invoice,
      fallbackPriceId: state.priceId,
    });
    pushBounded(state.paidInvoiceIds, invoice.id, INVOICE_ID_LIMIT);
    const recovered = state.openFailedInvoiceIds.includes(invoice.id);
    state.openFailedInvoiceIds = state.openFailedInvoiceIds.filter((id) => id !== invoice.id);
    state.accountId ??= result.accountId;
    if (result.outcome !== 'already_granted') {
      state.cycles += 1;
      state.creditsGranted += result.credits;
    }
    // The paid invoice moves the period forward even if its subscription.updated is late.
    if (invoice.periodEnd !== null && (state.currentPeriodEnd === null || invoice.periodEnd > state.currentPeriodEnd)) {
      state.currentPeriodStart = invoice.periodStart;
      state.currentPeriodEnd = invoice.periodEnd;
    }
    if ((state.status === 'past_due' || state.status === 'unpaid') && state.openFailedInvoiceIds.length === 0 && at >= state.statusAt) {
      setStatus('active', at, 'invoice');
    }
    await record();
    // The campaign re-checks before every message anyway; the signal stops it at once.
    if (recovered && patched(RECOVERY_CAMPAIGNS_PATCH)) {
      await recovery.notifyItemPaid({
        tenantId: state.tenantId,
        item: { kind: 'subscription_invoice', ref: invoice.id },
        via: 'subscription',
        amount: invoice.amountPaid,
      });
    }
    return `${result.outcome}: ${result.credits} ${result.currency ?? ''}`.trim();
  }

  /**
   * Seam for dunning: today a failed renewal marks the subscription past_due and records the failure. The
   * recovery-campaign issue starts its campaign (emails/SMS with a payment link) from here.
   */
  async function onPaymentFailed(invoice: InvoiceSnapshot, at: number): Promise<string> {
    if (state.paidInvoiceIds.includes(invoice.id)) return 'ignored: invoice already paid';
    await acts.recordInvoicePaymentFailed({ tenantId: state.tenantId, subscriptionId: state.subscriptionId, invoice });
    const firstFailure = !state.openFailedInvoiceIds.includes(invoice.id);
    if (firstFailure) pushBounded(state.openFailedInvoiceIds, invoice.id, HISTORY_LIST_LIMIT);
    pushBounded(state.paymentFailures, { invoiceId: invoice.id, at, attemptCount: invoice.attemptCount }, HISTORY_LIST_LIMIT);
    if (!TERMINAL.has(state.status) && at >= state.statusAt) setStatus('past_due', at, 'invoice');
    await record();
    // Stripe retries the charge itself; the campaign reaches the customer with a way to pay meanwhile.
    if (firstFailure && !TERMINAL.has(state.status) && patched(RECOVERY_CAMPAIGNS_PATCH)) {
      const campaign = await recovery.startSubscriptionInvoiceRecovery({
        tenantId: state.tenantId,
        subscriptionId: state.subscriptionId,
        invoiceId: invoice.id,
        accountId: state.accountId ?? invoice.accountId,
        retry: input.retry,
      });
      return `payment failed (attempt ${invoice.attemptCount}): ${state.status}; recovery campaign: ${campaign}`;
    }
    return `payment failed (attempt ${invoice.attemptCount}): ${state.status}`;
  }

  async function apply(event: SubscriptionEvent): Promise<string> {
    state.clock = Math.max(state.clock, event.created);
    if (event.kind === 'invoice') {
      return event.type === 'invoice.payment_succeeded' ? onPaymentSucceeded(event.invoice, event.created) : onPaymentFailed(event.invoice, event.created);
    }
    const outcome = applySnapshot(event.subscription, event.created, event.type);
    if (!outcome.startsWith('ignored')) await record();
    return outcome;
  }

  /** An activity that refused the event for good (non-retryable: bad input) is the event's outcome; the subscription carries on. */
  async function applyOrReject(event: SubscriptionEvent): Promise<string> {
    try {
      return await apply(event);
    } catch (error) {
      const rejected = rejectedInput(error);
      if (rejected === undefined || !patched(SUBSCRIPTION_REJECTED_INPUT_PATCH)) throw error;
      log.warn('subscription event rejected', { subscriptionId: state.subscriptionId, eventId: event.eventId, type: event.type, rejected });
      return `rejected: ${rejected}`;
    }
  }

  /** Cancellation at period end is due and Stripe's deleted event has not come: ask Stripe. */
  async function reconcile(wakeAt: number): Promise<void> {
    let observed: Awaited<ReturnType<typeof acts.retrieveSubscription>>;
    try {
      observed = await acts.retrieveSubscription({ tenantId: state.tenantId, subscriptionId: state.subscriptionId });
    } catch (error) {
      const rejected = rejectedInput(error);
      if (rejected === undefined || !patched(SUBSCRIPTION_REJECTED_INPUT_PATCH)) throw error;
      // Asked again a day later rather than at once in a loop.
      state.clock = Math.max(state.clock, wakeAt);
      pushBounded(state.eventLog, { eventId: `reconcile:${state.clock}`, type: 'reconcile', outcome: `rejected: ${rejected}` }, EVENT_LOG_LIMIT);
      state.nextCheckAt = state.clock + RECHECK_SECONDS;
      return;
    }
    state.clock = Math.max(state.clock, wakeAt, observed.observedAt);
    const outcome = applySnapshot(observed.subscription, state.clock, 'observed');
    if (!outcome.startsWith('ignored')) await record();
    pushBounded(state.eventLog, { eventId: `reconcile:${state.clock}`, type: 'reconcile', outcome }, EVENT_LOG_LIMIT);
    if (!TERMINAL.has(state.status)) state.nextCheckAt = state.clock + RECHECK_SECONDS;
  }

  function checkDueAt(): number | null {
    if (TERMINAL.has(state.status)) return null;
    if (state.nextCheckAt !== null) return state.nextCheckAt;
    if (state.cancelAtPeriodEnd && state.currentPeriodEnd !== null) return state.currentPeriodEnd + PERIOD_END_GRACE_SECONDS;
    return null;
  }

  /** Applies queued events in arrival order; stops at `limit` so a busy run still continues as new on time. */
  async function drain(limit = Infinity): Promise<void> {
    while (pending.length > 0 && state.eventsThisRun < limit) {
      const event = pending.shift()!;
      // Seen from the moment it is taken, so a redelivery arriving while its activities run is dropped.
      const seenFirst = patched(SEEN_BEFORE_APPLY_PATCH);
      if (seenFirst) pushBounded(state.seenEventIds, event.eventId, SEEN_EVENT_LIMIT);
      const outcome = await applyOrReject(event);
      if (!seenFirst) pushBounded(state.seenEventIds, event.eventId, SEEN_EVENT_LIMIT);
      pushBounded(state.eventLog, { eventId: event.eventId, type: event.type, outcome }, EVENT_LOG_LIMIT);
      state.eventsThisRun += 1;
    }
  }

  if (!input.carried) {
    const known = await acts.loadSubscription({ tenantId: input.tenantId, subscriptionId: input.subscriptionId });
    if (known) {
      // A late event after the workflow closed (or a reset): continue from the projection.
      const { tenantId: _t, subscriptionId: _s, status, ...fields } = known.projection;
      Object.assign(state, fields);
      state.cycles = known.cycles;
      state.creditsGranted = known.creditsGranted;
      state.status = status;
    }
  }
  if (state.status !== 'pending') setStatus(state.status, 0, state.statusSource ?? null);

  for (;;) {
    const dueAt = checkDueAt();
    const timeoutMs = dueAt === null ? undefined : Math.max(1_000, (dueAt - state.clock) * 1_000);
    // Also wakes when the due time changes (a cancel update, a snapshot), so the timer is recomputed.
    const wake = () => pending.length > 0 || checkDueAt() !== dueAt;
    if (timeoutMs === undefined) {
      await condition(wake);
    } else if (!(await condition(wake, timeoutMs)) && dueAt !== null) {
      await reconcile(dueAt);
    }
    await drain(continueAsNewAfter);
    if (TERMINAL.has(state.status)) break;
    if (state.eventsThisRun >= continueAsNewAfter || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (TERMINAL.has(state.status)) break;
      await continueAsNew<typeof subscriptionWorkflow>({
        tenantId: input.tenantId,
        subscriptionId: input.subscriptionId,
        retry: input.retry,
        continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        carried: { state: { ...state, run: state.run + 1, eventsThisRun: 0 }, pending: pending.splice(0) },
      });
    }
  }

  // Canceled: events already delivered (e.g. the final invoice) are still applied; then the workflow ends.
  // A later event starts a fresh run that resumes from the database projection.
  do {
    await drain();
    await condition(allHandlersFinished);
  } while (pending.length > 0);
  return state;
}
