import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../activities/excess-payments.js';
import type { RecoveryHookActivities } from '../activities/recovery-hooks.js';
import type { InvoiceActivities } from '../activities/invoice.js';
import type {
  InvoiceEvent,
  InvoiceRecord,
  InvoiceSource,
  InvoiceStatus,
  OverdueReason,
  PaymentLinkPaidEvent,
  PaymentLinkSummary,
  StripeInvoiceEvent,
  StripeInvoiceView,
} from '../activities/invoice-types.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { TERMINAL_INVOICE_STATUSES, TERMINAL_STRIPE_STATUSES } from './invoice-state.js';
import { CustomerIdKey, InvoiceIdKey, InvoiceStatusKey, StatusKey, TenantIdKey } from './search-attributes.js';

export interface InvoiceInput {
  tenantId: string;
  /** The Stripe invoice id for Stripe-sourced invoices, our `inv_...` id for manual ones. */
  invoiceId: string;
  source: InvoiceSource;
  retry: RetrySchedule;
  /**
   * Handed over by continue-as-new: dedup ids, the event log, and what this workflow alone knows of the recovery
   * campaign (absent in runs continued before it was carried: then false). Everything else, including overdue and
   * the Payment Link with its active flag, is reloaded from PostgreSQL.
   */
  carried?: Pick<InvoiceState, 'seenEventIds' | 'eventLog'> & { recoveryStarted?: boolean; recoveryPaidNotified?: boolean };
  /** Continue as new after this many events in a run; for tests, production relies on continueAsNewSuggested. */
  continueAsNewAfterEvents?: number;
}

export interface InvoiceState {
  tenantId: string;
  invoiceId: string;
  source: InvoiceSource;
  /** null until the invoice exists in PostgreSQL (a Stripe invoice before its first event). */
  status: InvoiceStatus | null;
  overdue: boolean;
  overdueReason: OverdueReason | null;
  clientId: string | null;
  amountDue: number | null;
  amountPaid: number | null;
  currency: string | null;
  dueAtMs: number | null;
  paidAtMs: number | null;
  /** The due date passed (timer fired); the invoice is overdue if it is still pending. */
  dueDateReached: boolean;
  stripe: StripeInvoiceView | null;
  paymentLink: PaymentLinkSummary | null;
  paymentLinkActive: boolean | null;
  /** Event ids already applied, so redeliveries change nothing. */
  seenEventIds: string[];
  eventLog: Array<{ eventId: string; type: string; outcome: string }>;
}

export const invoiceEventSignal = defineSignal<[InvoiceEvent]>('invoiceEvent');
export const createPaymentLinkUpdate = defineUpdate<PaymentLinkSummary, []>('createPaymentLink');
export const invoiceStateQuery = defineQuery<InvoiceState>('state');

/** Failure types of the payment-link update the gateway maps to 409 / 422. */
export const INVOICE_PAID_ERROR = 'InvoicePaid';
export const INVOICE_CANCELLED_ERROR = 'InvoiceCancelled';
export const INVOICE_NOT_MANUAL_ERROR = 'InvoiceNotManual';
export const INVOICE_UNKNOWN_ERROR = 'InvoiceUnknown';

/** After paid/void the workflow lingers this long for late events, then closes; a later event reopens it. */
export const TERMINAL_GRACE_MS = 30 * 24 * 60 * 60 * 1000;
const EVENT_LOG_LIMIT = 200;
const SEEN_IDS_LIMIT = 500;
/** Invoice histories from before recovery campaigns existed replay without starting one. */
const RECOVERY_CAMPAIGNS_PATCH = 'invoice-recovery-campaigns';
/** A second payment, or one on a void invoice, is refunded by a step; older histories only logged it. */
const EXCESS_REFUND_PATCH = 'invoice-excess-refund';
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const INVOICE_REJECTED_INPUT_PATCH = 'invoice-rejected-input';

export async function invoiceWorkflow(input: InvoiceInput): Promise<InvoiceState> {
  const acts = proxyActivities<InvoiceActivities>(activityOptions(input.retry));
  const recovery = proxyActivities<RecoveryHookActivities>(activityOptions(input.retry));
  const excess = proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry));
  let recoveryStarted = input.carried?.recoveryStarted ?? false;
  let recoveryPaidNotified = input.carried?.recoveryPaidNotified ?? false;
  const state: InvoiceState = {
    tenantId: input.tenantId,
    invoiceId: input.invoiceId,
    source: input.source,
    status: null,
    overdue: false,
    overdueReason: null,
    clientId: null,
    amountDue: null,
    amountPaid: null,
    currency: null,
    dueAtMs: null,
    paidAtMs: null,
    dueDateReached: false,
    stripe: null,
    paymentLink: null,
    paymentLinkActive: null,
    seenEventIds: [...(input.carried?.seenEventIds ?? [])],
    eventLog: [...(input.carried?.eventLog ?? [])],
  };
  const pending: InvoiceEvent[] = [];
  let eventsThisRun = 0;
  let loaded = false;
  let linkCreation: Promise<PaymentLinkSummary> | undefined;

  setHandler(invoiceStateQuery, () => state);
  setHandler(invoiceEventSignal, (event) => {
    if (state.seenEventIds.includes(event.eventId) || pending.some((queued) => queued.eventId === event.eventId)) {
      log.info('duplicate invoice event ignored', { eventId: event.eventId });
      return;
    }
    pending.push(event);
  });

  function linkRefusal(): ApplicationFailure | undefined {
    if (state.status === null) return ApplicationFailure.nonRetryable('no such invoice', INVOICE_UNKNOWN_ERROR);
    if (state.source !== 'manual') {
      return ApplicationFailure.nonRetryable('Stripe-sourced invoices are paid through Stripe, not a Payment Link', INVOICE_NOT_MANUAL_ERROR);
    }
    if (state.status === 'paid') return ApplicationFailure.nonRetryable('invoice is already paid', INVOICE_PAID_ERROR);
    if (state.status === 'cancelled') return ApplicationFailure.nonRetryable('invoice is cancelled', INVOICE_CANCELLED_ERROR);
    return undefined;
  }

  setHandler(
    createPaymentLinkUpdate,
    async () => {
      if (state.paymentLink) return state.paymentLink;
      await condition(() => loaded);
      if (state.paymentLink) return state.paymentLink;
      const refusal = linkRefusal();
      if (refusal) throw refusal;
      linkCreation ??= (async () => {
        const link = await acts.createPaymentLink({ tenantId: state.tenantId, invoiceId: state.invoiceId });
        state.paymentLink = link;
        state.paymentLinkActive = true;
        return link;
      })();
      try {
        return await linkCreation;
      } catch (error) {
        linkCreation = undefined;
        throw error;
      }
    },
    {
      validator: () => {
        // Before the first load the handler decides; afterwards refuse early so nothing reaches history.
        if (!loaded || state.paymentLink) return;
        const refusal = linkRefusal();
        if (refusal) throw refusal;
      },
    },
  );

  // ---- State from PostgreSQL (the single writer's record) -------------------------------------------------------

  function setSearchAttributes(): void {
    if (state.status === null) return;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: InvoiceIdKey, value: state.invoiceId },
      { key: InvoiceStatusKey, value: state.status },
      { key: StatusKey, value: state.overdue ? 'overdue' : state.status },
      ...(state.clientId ? [{ key: CustomerIdKey, value: state.clientId }] : []),
    ]);
  }

  function adopt(record: InvoiceRecord, nowMs: number): void {
    state.status = record.status;
    state.overdue = record.overdue;
    state.overdueReason = record.overdueReason;
    state.clientId = record.clientId;
    state.amountDue = record.amountDue;
    state.amountPaid = record.amountPaid;
    state.currency = record.currency;
    state.paidAtMs = record.paidAtMs;
    state.stripe = record.stripe;
    state.paymentLink = record.paymentLink ?? state.paymentLink;
    state.paymentLinkActive = record.paymentLinkActive ?? state.paymentLinkActive;
    if (record.dueAtMs !== state.dueAtMs) {
      state.dueAtMs = record.dueAtMs;
      armDueTimer(nowMs);
    }
    setSearchAttributes();
  }

  // ---- Due date: a timer per due date, armed from the activity's clock (workflow code reads no clock) -------------

  let dueTimer: CancellationScope | undefined;
  function armDueTimer(nowMs: number): void {
    dueTimer?.cancel();
    dueTimer = undefined;
    state.dueDateReached = false;
    const dueAtMs = state.dueAtMs;
    if (dueAtMs === null) return;
    if (dueAtMs <= nowMs) {
      state.dueDateReached = true;
      return;
    }
    const scope = new CancellationScope();
    dueTimer = scope;
    scope
      .run(() => sleep(dueAtMs - nowMs))
      .then(
        () => {
          if (state.dueAtMs === dueAtMs) state.dueDateReached = true;
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  // ---- Overdue ------------------------------------------------------------------------------------------------

  /**
   * THE RECOVERY SEAM. Called exactly once per workflow run when an open invoice becomes overdue (due date passed
   * unpaid, or a payment failed). Recovery campaigns (reminder mails, SMS, retries) start here in a later issue;
   * today it only records the fact in the state/event log.
   */
  async function onOverdue(reason: OverdueReason): Promise<void> {
    if (!patched(RECOVERY_CAMPAIGNS_PATCH)) {
      logEvent({ eventId: `overdue:${reason}`, type: 'overdue', outcome: 'onOverdue: no recovery campaign yet' });
      return;
    }
    const outcome = await recovery.startInvoiceRecovery({ tenantId: state.tenantId, invoiceId: state.invoiceId, retry: input.retry });
    recoveryStarted = outcome === 'started' || outcome === 'finished';
    log.info('invoice overdue', { invoiceId: state.invoiceId, reason, recovery: outcome });
    logEvent({ eventId: `overdue:${reason}`, type: 'overdue', outcome: `recovery campaign: ${outcome}` });
  }

  /** The campaign also re-checks the invoice before every message; this signal just stops it at once. */
  async function notifyRecoveryIfPaid(): Promise<void> {
    if (!recoveryStarted || recoveryPaidNotified || state.status !== 'paid') return;
    recoveryPaidNotified = true;
    await recovery.notifyItemPaid({ tenantId: state.tenantId, item: { kind: 'invoice', ref: state.invoiceId }, via: 'invoice' });
  }

  async function markOverdue(reason: OverdueReason): Promise<void> {
    if (state.overdue || state.status !== 'pending') return;
    await acts.markInvoiceOverdue({ tenantId: state.tenantId, invoiceId: state.invoiceId, reason });
    state.overdue = true;
    state.overdueReason = reason;
    setSearchAttributes();
    await onOverdue(reason);
  }

  const overdueDue = () => state.dueDateReached && state.status === 'pending' && !state.overdue;

  // ---- Events ------------------------------------------------------------------------------------------------

  async function applyStripe(event: StripeInvoiceEvent): Promise<string> {
    const result = await acts.upsertInvoiceFromStripe({
      tenantId: state.tenantId,
      eventId: event.eventId,
      eventCreated: event.eventCreated,
      invoice: event.invoice,
    });
    adopt(result.invoice, result.nowMs);
    let outcome: string = result.outcome;
    if (result.outcome === 'conflict') {
      // Two different final states (paid vs void): ask Stripe rather than trust either event.
      const fresh = await acts.retrieveInvoice({ tenantId: state.tenantId, stripeInvoiceId: event.invoice.id });
      if (fresh && TERMINAL_STRIPE_STATUSES.has(fresh.status)) {
        const resolved = await acts.upsertInvoiceFromStripe({
          tenantId: state.tenantId,
          eventId: `refetch:${event.eventId}`,
          eventCreated: Math.max(event.eventCreated, state.stripe?.lastEventAt ?? 0),
          invoice: fresh,
          authoritative: true,
        });
        adopt(resolved.invoice, resolved.nowMs);
        outcome = `conflict: resolved from Stripe as ${fresh.status}`;
      } else {
        outcome = `conflict: Stripe gave no final state; kept ${state.status}`;
      }
    }
    if (event.type === 'invoice.payment_failed') await markOverdue('payment_failed');
    return outcome;
  }

  async function applyPayment(event: PaymentLinkPaidEvent): Promise<string> {
    if (event.paymentStatus !== 'paid' && event.paymentStatus !== 'no_payment_required') return 'ignored: payment not settled';
    const result = await acts.recordInvoicePayment({
      tenantId: state.tenantId,
      invoiceId: state.invoiceId,
      checkoutSessionId: event.checkoutSessionId,
      amount: event.amountTotal,
      currency: event.currency,
      paidAtMs: event.paidAt * 1000,
    });
    if (result.invoice) adopt(result.invoice, event.paidAt * 1000);
    const excessPayment = result.outcome === 'paid_after_void' || (result.outcome === 'already_paid' && result.paidBy !== event.checkoutSessionId);
    if (excessPayment && event.paymentIntentId && patched(EXCESS_REFUND_PATCH)) {
      // Money for an invoice that was void or already paid by another payment goes back in full.
      const refunded = await excess.refundExcessPayment({
        tenantId: state.tenantId,
        paymentIntentId: event.paymentIntentId,
        ...(event.stripeAccount !== undefined ? { stripeAccount: event.stripeAccount } : {}),
        item: { kind: 'invoice', ref: state.invoiceId },
        amount: event.amountTotal,
        currency: event.currency,
        reason: result.outcome === 'paid_after_void' ? 'invoice is void' : `invoice already paid by ${result.paidBy ?? 'another payment'}`,
      });
      return `${result.outcome}: excess refunded (${refunded.refundId ?? 'pending'})`;
    }
    if (result.outcome === 'paid_after_void') log.warn('payment received for a cancelled invoice; refund needed', { invoiceId: state.invoiceId });
    return result.outcome;
  }

  async function apply(event: InvoiceEvent): Promise<string> {
    switch (event.kind) {
      case 'stripe':
        if (state.source !== 'stripe') return 'ignored: not a Stripe-sourced invoice';
        return applyStripe(event);
      case 'payment_link_paid':
        if (state.status === null) return 'ignored: unknown invoice';
        return applyPayment(event);
      case 'voided': {
        const { invoice, nowMs } = await acts.loadInvoice({ tenantId: state.tenantId, invoiceId: state.invoiceId });
        if (!invoice) return 'ignored: unknown invoice';
        adopt(invoice, nowMs);
        return invoice.status;
      }
    }
  }

  function logEvent(entry: { eventId: string; type: string; outcome: string }): void {
    state.eventLog.push(entry);
    if (state.eventLog.length > EVENT_LOG_LIMIT) state.eventLog.shift();
  }

  /** Links of paid or void invoices are deactivated, so nobody pays twice. */
  async function afterChange(): Promise<void> {
    if (overdueDue()) await markOverdue('due_date_passed');
    await notifyRecoveryIfPaid();
    if (state.status !== null && TERMINAL_INVOICE_STATUSES.has(state.status) && state.paymentLink && state.paymentLinkActive !== false) {
      await acts.deactivatePaymentLink({ tenantId: state.tenantId, invoiceId: state.invoiceId, paymentLinkId: state.paymentLink.id });
      state.paymentLinkActive = false;
    }
  }

  // ---- Run ----------------------------------------------------------------------------------------------------

  const initial = await acts.loadInvoice({ tenantId: input.tenantId, invoiceId: input.invoiceId });
  if (initial.invoice) adopt(initial.invoice, initial.nowMs);
  loaded = true;

  if (!initial.invoice && input.source === 'manual') {
    // Only invoices created through our API exist as manual invoices; a stray event is logged and dropped.
    await condition(() => pending.length > 0, '1 minute');
    for (const event of pending.splice(0)) logEvent({ eventId: event.eventId, type: event.kind, outcome: 'ignored: unknown invoice' });
    await condition(allHandlersFinished);
    return state;
  }

  await afterChange();
  for (;;) {
    const terminal = state.status !== null && TERMINAL_INVOICE_STATUSES.has(state.status);
    if (terminal) {
      const woke = await condition(() => pending.length > 0, TERMINAL_GRACE_MS);
      if (!woke) {
        await condition(allHandlersFinished);
        if (pending.length === 0) break;
      }
    } else {
      await condition(() => pending.length > 0 || overdueDue());
    }
    while (pending.length > 0) {
      const event = pending.shift()!;
      eventsThisRun += 1;
      const type = event.kind === 'stripe' ? event.type : event.kind;
      // Seen from the moment it is taken, so a redelivery arriving while this one runs its activities is dropped.
      state.seenEventIds.push(event.eventId);
      if (state.seenEventIds.length > SEEN_IDS_LIMIT) state.seenEventIds.shift();
      let outcome: string;
      try {
        outcome = await apply(event);
      } catch (error) {
        const rejected = rejectedInput(error);
        if (rejected === undefined || !patched(INVOICE_REJECTED_INPUT_PATCH)) throw error;
        log.warn('invoice event rejected', { invoiceId: state.invoiceId, eventId: event.eventId, type, rejected });
        outcome = `rejected: ${rejected}`;
      }
      logEvent({ eventId: event.eventId, type, outcome });
      await afterChange();
    }
    await afterChange();
    const limitReached = input.continueAsNewAfterEvents !== undefined && eventsThisRun >= input.continueAsNewAfterEvents;
    if (workflowInfo().continueAsNewSuggested || limitReached) {
      await condition(allHandlersFinished);
      if (pending.length === 0) {
        await continueAsNew<typeof invoiceWorkflow>({
          ...input,
          carried: { seenEventIds: state.seenEventIds, eventLog: state.eventLog, recoveryStarted, recoveryPaidNotified },
        });
      }
    }
  }
  return state;
}
