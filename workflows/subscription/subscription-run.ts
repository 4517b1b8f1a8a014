import { Attention } from '../shared/attention.js';
import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import type { SubscriptionActivities } from '../../activities/subscription.js';
import type { InvoiceSnapshot, SubscriptionEvent, SubscriptionSnapshot } from '../../src/domain/subscription/contracts.js';
import { activityOptions, rejectedInput } from '../activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { EventInbox, pushBounded } from '../shared/event-inbox.js';
import { rejectedEventOutcome } from '../shared/rejected-event.js';
import type { StatusSource } from '../../src/domain/subscription/lifecycle.js';
import type { CancelRequest, SubscriptionInput, SubscriptionState, SubscriptionWorkflowStatus } from './messages.js';
import {
  adoptSnapshot,
  HISTORY_LIST_LIMIT,
  initialSubscriptionState,
  INVOICE_ID_LIMIT,
  isTerminal,
  periodAdvances,
  planChangeOf,
  projectionOf,
  RECHECK_SECONDS,
  recoversToActive,
  snapshotRefusal,
  snapshotSetsStatus,
} from './rules.js';

/** Subscription histories from before recovery campaigns existed replay without starting one. */
const RECOVERY_CAMPAIGNS_PATCH = 'subscription-recovery-campaigns';
/** Same-second and reordered events never move the status back (subscription-lifecycle.ts); before, arrival order decided. */
const LIFECYCLE_ORDER_PATCH = 'subscription-lifecycle-order';
/** An event is seen from the moment it is taken, so a redelivery arriving while it is applied is dropped. */
const SEEN_BEFORE_APPLY_PATCH = 'subscription-seen-before-apply';
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const SUBSCRIPTION_REJECTED_INPUT_PATCH = 'subscription-rejected-input';

const lifecycleOrder = () => patched(LIFECYCLE_ORDER_PATCH);

/** One run of a subscription workflow: its state, the events waiting, and how events, checks and cancels apply. */
export class SubscriptionRun {
  readonly state: SubscriptionState;
  readonly inbox: EventInbox<SubscriptionEvent>;
  readonly acts: SubscriptionActivities;
  private readonly recovery: RecoveryHookActivities;
  private searchAttributesKey = '';

  constructor(private readonly input: SubscriptionInput) {
    const attention = new Attention();
    this.acts = attention.wrap(proxyActivities<SubscriptionActivities>(activityOptions(input.retry)));
    this.recovery = attention.wrap(proxyActivities<RecoveryHookActivities>(activityOptions(input.retry)));
    this.state = input.carried ? { ...input.carried.state, eventsThisRun: 0 } : initialSubscriptionState(input);
    this.inbox = new EventInbox(this.state, { seen: 500, log: 100 }, [...(input.carried?.pending ?? [])]);
  }

  setStatus(status: SubscriptionWorkflowStatus, at: number, source: StatusSource | null = null): void {
    const { state } = this;
    state.status = status;
    state.statusAt = Math.max(state.statusAt, at);
    state.statusSource = source;
    const customer = state.accountId ?? state.customerId;
    const key = `${status}|${customer ?? ''}`;
    if (key === this.searchAttributesKey) return;
    this.searchAttributesKey = key;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      ...(customer ? [{ key: CustomerIdKey, value: customer }] : []),
    ]);
  }

  private async record(): Promise<void> {
    const current = projectionOf(this.state);
    if (current) await this.acts.recordSubscription(current);
  }

  async cancel({ atPeriodEnd }: CancelRequest): Promise<SubscriptionState> {
    const { state } = this;
    if (atPeriodEnd && state.cancelAtPeriodEnd) return state;
    state.cancelRequests += 1;
    const observed = await this.acts.cancelSubscription({
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
      this.setStatus('canceled', observed.observedAt, 'observed');
    }
    // Otherwise customer.subscription.deleted follows and finishes the job.
    await this.record();
    return state;
  }

  private applySnapshot(snapshot: SubscriptionSnapshot, at: number, source: StatusSource): string {
    const { state } = this;
    const refused = snapshotRefusal(state, snapshot, at, source, lifecycleOrder);
    if (refused) return refused;
    const change = planChangeOf(state, snapshot, at);
    if (change) pushBounded(state.planChanges, change, HISTORY_LIST_LIMIT);
    adoptSnapshot(state, snapshot, at, source);
    if (snapshotSetsStatus(state, snapshot, at, source, lifecycleOrder)) this.setStatus(snapshot.status, at, source);
    return `status ${state.status}`;
  }

  private async onPaymentSucceeded(invoice: InvoiceSnapshot, at: number): Promise<string> {
    const { state } = this;
    if (state.paidInvoiceIds.includes(invoice.id)) return 'ignored: invoice already granted';
    const result = await this.acts.grantCycleCredits({
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
    if (periodAdvances(state, invoice.periodEnd)) {
      state.currentPeriodStart = invoice.periodStart;
      state.currentPeriodEnd = invoice.periodEnd;
    }
    if (recoversToActive(state, at)) this.setStatus('active', at, 'invoice');
    await this.record();
    // The campaign re-checks before every message anyway; the signal stops it at once.
    if (recovered && patched(RECOVERY_CAMPAIGNS_PATCH)) {
      await this.recovery.notifyItemPaid({
        tenantId: state.tenantId,
        item: { kind: 'subscription_invoice', ref: invoice.id },
        via: 'subscription',
        amount: invoice.amountPaid,
      });
    }
    return `${result.outcome}: ${result.credits} ${result.currency ?? ''}`.trim();
  }

  /** A failed renewal marks the subscription past_due, records the failure and starts a recovery campaign. */
  private async onPaymentFailed(invoice: InvoiceSnapshot, at: number): Promise<string> {
    const { state } = this;
    if (state.paidInvoiceIds.includes(invoice.id)) return 'ignored: invoice already paid';
    await this.acts.recordInvoicePaymentFailed({ tenantId: state.tenantId, subscriptionId: state.subscriptionId, invoice });
    const firstFailure = !state.openFailedInvoiceIds.includes(invoice.id);
    if (firstFailure) pushBounded(state.openFailedInvoiceIds, invoice.id, HISTORY_LIST_LIMIT);
    pushBounded(state.paymentFailures, { invoiceId: invoice.id, at, attemptCount: invoice.attemptCount }, HISTORY_LIST_LIMIT);
    if (!isTerminal(state.status) && at >= state.statusAt) this.setStatus('past_due', at, 'invoice');
    await this.record();
    // Stripe retries the charge itself; the campaign reaches the customer with a way to pay meanwhile.
    if (firstFailure && !isTerminal(state.status) && patched(RECOVERY_CAMPAIGNS_PATCH)) {
      const campaign = await this.recovery.startSubscriptionInvoiceRecovery({
        tenantId: state.tenantId,
        subscriptionId: state.subscriptionId,
        invoiceId: invoice.id,
        accountId: state.accountId ?? invoice.accountId,
        retry: this.input.retry,
      });
      return `payment failed (attempt ${invoice.attemptCount}): ${state.status}; recovery campaign: ${campaign}`;
    }
    return `payment failed (attempt ${invoice.attemptCount}): ${state.status}`;
  }

  private async apply(event: SubscriptionEvent): Promise<string> {
    this.state.clock = Math.max(this.state.clock, event.created);
    if (event.kind === 'invoice') {
      return event.type === 'invoice.payment_succeeded' ? this.onPaymentSucceeded(event.invoice, event.created) : this.onPaymentFailed(event.invoice, event.created);
    }
    const outcome = this.applySnapshot(event.subscription, event.created, event.type);
    if (!outcome.startsWith('ignored')) await this.record();
    return outcome;
  }

  /** An activity that refused the event for good (non-retryable: bad input) is the event's outcome; the subscription carries on. */
  private async applyOrReject(event: SubscriptionEvent): Promise<string> {
    try {
      return await this.apply(event);
    } catch (error) {
      const context = { subscriptionId: this.state.subscriptionId, eventId: event.eventId, type: event.type };
      return rejectedEventOutcome(error, SUBSCRIPTION_REJECTED_INPUT_PATCH, 'subscription event rejected', context);
    }
  }

  /** Cancellation at period end is due and Stripe's deleted event has not come: ask Stripe. */
  async reconcile(wakeAt: number): Promise<void> {
    const { state } = this;
    let observed: Awaited<ReturnType<typeof this.acts.retrieveSubscription>>;
    try {
      observed = await this.acts.retrieveSubscription({ tenantId: state.tenantId, subscriptionId: state.subscriptionId });
    } catch (error) {
      const rejected = rejectedInput(error);
      if (rejected === undefined || !patched(SUBSCRIPTION_REJECTED_INPUT_PATCH)) throw error;
      // Asked again a day later rather than at once in a loop.
      state.clock = Math.max(state.clock, wakeAt);
      this.inbox.log({ eventId: `reconcile:${state.clock}`, type: 'reconcile', outcome: `rejected: ${rejected}` });
      state.nextCheckAt = state.clock + RECHECK_SECONDS;
      return;
    }
    state.clock = Math.max(state.clock, wakeAt, observed.observedAt);
    const outcome = this.applySnapshot(observed.subscription, state.clock, 'observed');
    if (!outcome.startsWith('ignored')) await this.record();
    this.inbox.log({ eventId: `reconcile:${state.clock}`, type: 'reconcile', outcome });
    if (!isTerminal(state.status)) state.nextCheckAt = state.clock + RECHECK_SECONDS;
  }

  /** Applies queued events in arrival order; stops at `limit` so a busy run still continues as new on time. */
  async drain(limit = Infinity): Promise<void> {
    while (this.inbox.hasPending && this.state.eventsThisRun < limit) {
      const event = this.inbox.takeUnseen()!;
      // Seen from the moment it is taken, so a redelivery arriving while its activities run is dropped.
      const seenFirst = patched(SEEN_BEFORE_APPLY_PATCH);
      if (seenFirst) this.inbox.markSeen(event.eventId);
      const outcome = await this.applyOrReject(event);
      if (!seenFirst) this.inbox.markSeen(event.eventId);
      this.inbox.log({ eventId: event.eventId, type: event.type, outcome });
      this.state.eventsThisRun += 1;
    }
  }
}
