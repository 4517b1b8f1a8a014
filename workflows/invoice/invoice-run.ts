import { Attention } from '../shared/attention.js';
import { ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { InvoiceActivities } from '../../activities/invoice.js';
import type { InvoiceEvent, InvoiceRecord, OverdueReason, PaymentLinkPaidEvent, PaymentLinkSummary, StripeInvoiceEvent } from '../../src/domain/invoice/contracts.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import { activityOptions } from '../activity-options.js';
import { TERMINAL_STRIPE_STATUSES } from '../../src/domain/invoice/rules.js';
import { CustomerIdKey, InvoiceIdKey, InvoiceStatusKey, StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { EventInbox } from '../shared/event-inbox.js';
import { searchAttributeWriter } from '../shared/search-attributes.js';
import type { InvoiceInput, InvoiceState } from './messages.js';
import { adoptRecord, excessRefundReason, initialInvoiceState, isExcessPayment, isSettledPayment, linkRefusal, linkToDeactivate, overdueDue } from './rules.js';

/** Invoice histories from before recovery campaigns existed replay without starting one. */
const RECOVERY_CAMPAIGNS_PATCH = 'invoice-recovery-campaigns';
/** A second payment, or one on a void invoice, is refunded by a step; older histories only logged it. */
const EXCESS_REFUND_PATCH = 'invoice-excess-refund';
/** Fewer billed actions: search attributes are upserted only when they change. */
export const INVOICE_LEAN_ACTIONS_PATCH = 'invoice-lean-actions';

/**
 * One run of an invoice workflow: the state (PostgreSQL is the single writer's record; this mirrors it), the due-date
 * timer, the recovery seam and how each event applies. The workflow function wires messages and runs the loop.
 */
export class InvoiceRun {
  readonly state: InvoiceState;
  readonly inbox: EventInbox<InvoiceEvent>;
  readonly acts: InvoiceActivities;
  private readonly recovery: RecoveryHookActivities;
  private readonly excess: ExcessPaymentActivities;
  recoveryStarted: boolean;
  recoveryPaidNotified: boolean;
  eventsThisRun = 0;
  loaded = false;
  private linkCreation: Promise<PaymentLinkSummary> | undefined;
  private dueTimer: CancellationScope | undefined;
  private readonly upsert = searchAttributeWriter(patched(INVOICE_LEAN_ACTIONS_PATCH));

  constructor(private readonly input: InvoiceInput) {
    const attention = new Attention();
    this.acts = attention.wrap(proxyActivities<InvoiceActivities>(activityOptions(input.retry)));
    this.recovery = attention.wrap(proxyActivities<RecoveryHookActivities>(activityOptions(input.retry)));
    this.excess = attention.wrap(proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry)));
    this.recoveryStarted = input.carried?.recoveryStarted ?? false;
    this.recoveryPaidNotified = input.carried?.recoveryPaidNotified ?? false;
    this.state = initialInvoiceState(input);
    this.inbox = new EventInbox(this.state, { seen: 500, log: 200 });
  }

  // ---- The Payment Link update ---------------------------------------------------------------------------------

  refusal(): ApplicationFailure | undefined {
    const refused = linkRefusal(this.state);
    return refused ? ApplicationFailure.nonRetryable(refused.message, refused.type) : undefined;
  }

  async createPaymentLink(): Promise<PaymentLinkSummary> {
    const { state } = this;
    if (state.paymentLink) return state.paymentLink;
    await condition(() => this.loaded);
    if (state.paymentLink) return state.paymentLink;
    const refusal = this.refusal();
    if (refusal) throw refusal;
    this.linkCreation ??= (async () => {
      const link = await this.acts.createPaymentLink({ tenantId: state.tenantId, invoiceId: state.invoiceId });
      state.paymentLink = link;
      state.paymentLinkActive = true;
      return link;
    })();
    try {
      return await this.linkCreation;
    } catch (error) {
      this.linkCreation = undefined;
      throw error;
    }
  }

  // ---- State from PostgreSQL -----------------------------------------------------------------------------------

  setSearchAttributes(): void {
    const { state } = this;
    if (state.status === null) return;
    this.upsert([
      { key: TenantIdKey, value: state.tenantId },
      { key: InvoiceIdKey, value: state.invoiceId },
      { key: InvoiceStatusKey, value: state.status },
      { key: StatusKey, value: state.overdue ? 'overdue' : state.status },
      ...(state.clientId ? [{ key: CustomerIdKey, value: state.clientId }] : []),
    ]);
  }

  adopt(record: InvoiceRecord, nowMs: number): void {
    if (adoptRecord(this.state, record)) this.armDueTimer(nowMs);
    this.setSearchAttributes();
  }

  /** A timer per due date, armed from the activity's clock (workflow code reads no clock). */
  private armDueTimer(nowMs: number): void {
    const { state } = this;
    this.dueTimer?.cancel();
    this.dueTimer = undefined;
    state.dueDateReached = false;
    const dueAtMs = state.dueAtMs;
    if (dueAtMs === null) return;
    if (dueAtMs <= nowMs) {
      state.dueDateReached = true;
      return;
    }
    const scope = new CancellationScope();
    this.dueTimer = scope;
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

  // ---- Overdue -------------------------------------------------------------------------------------------------

  /**
   * THE RECOVERY SEAM. Called exactly once per workflow run when an open invoice becomes overdue (due date passed
   * unpaid, or a payment failed): starts the recovery campaign (reminder mails, SMS with a way to pay).
   */
  private async onOverdue(reason: OverdueReason): Promise<void> {
    const { state } = this;
    if (!patched(RECOVERY_CAMPAIGNS_PATCH)) {
      this.inbox.log({ eventId: `overdue:${reason}`, type: 'overdue', outcome: 'onOverdue: no recovery campaign yet' });
      return;
    }
    const outcome = await this.recovery.startInvoiceRecovery({ tenantId: state.tenantId, invoiceId: state.invoiceId, retry: this.input.retry });
    this.recoveryStarted = outcome === 'started' || outcome === 'finished';
    log.info('invoice overdue', { invoiceId: state.invoiceId, reason, recovery: outcome });
    this.inbox.log({ eventId: `overdue:${reason}`, type: 'overdue', outcome: `recovery campaign: ${outcome}` });
  }

  /** The campaign also re-checks the invoice before every message; this signal just stops it at once. */
  private async notifyRecoveryIfPaid(): Promise<void> {
    const { state } = this;
    if (!this.recoveryStarted || this.recoveryPaidNotified || state.status !== 'paid') return;
    this.recoveryPaidNotified = true;
    await this.recovery.notifyItemPaid({ tenantId: state.tenantId, item: { kind: 'invoice', ref: state.invoiceId }, via: 'invoice' });
  }

  private async markOverdue(reason: OverdueReason): Promise<void> {
    const { state } = this;
    if (state.overdue || state.status !== 'pending') return;
    await this.acts.markInvoiceOverdue({ tenantId: state.tenantId, invoiceId: state.invoiceId, reason });
    state.overdue = true;
    state.overdueReason = reason;
    this.setSearchAttributes();
    await this.onOverdue(reason);
  }

  /** After any change: overdue if due, stop the campaign if paid, and deactivate the link of a paid or void invoice. */
  async afterChange(): Promise<void> {
    const { state } = this;
    if (overdueDue(state)) await this.markOverdue('due_date_passed');
    await this.notifyRecoveryIfPaid();
    if (linkToDeactivate(state)) {
      await this.acts.deactivatePaymentLink({ tenantId: state.tenantId, invoiceId: state.invoiceId, paymentLinkId: state.paymentLink!.id });
      state.paymentLinkActive = false;
    }
  }

  // ---- Events --------------------------------------------------------------------------------------------------

  async apply(event: InvoiceEvent): Promise<string> {
    const { state } = this;
    switch (event.kind) {
      case 'stripe':
        if (state.source !== 'stripe') return 'ignored: not a Stripe-sourced invoice';
        return this.applyStripe(event);
      case 'payment_link_paid':
        if (state.status === null) return 'ignored: unknown invoice';
        return this.applyPayment(event);
      case 'voided': {
        const { invoice, nowMs } = await this.acts.loadInvoice({ tenantId: state.tenantId, invoiceId: state.invoiceId });
        if (!invoice) return 'ignored: unknown invoice';
        this.adopt(invoice, nowMs);
        return invoice.status;
      }
    }
  }

  private async applyStripe(event: StripeInvoiceEvent): Promise<string> {
    const { state, acts } = this;
    const result = await acts.upsertInvoiceFromStripe({
      tenantId: state.tenantId,
      eventId: event.eventId,
      eventCreated: event.eventCreated,
      invoice: event.invoice,
    });
    this.adopt(result.invoice, result.nowMs);
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
        this.adopt(resolved.invoice, resolved.nowMs);
        outcome = `conflict: resolved from Stripe as ${fresh.status}`;
      } else {
        outcome = `conflict: Stripe gave no final state; kept ${state.status}`;
      }
    }
    if (event.type === 'invoice.payment_failed') await this.markOverdue('payment_failed');
    return outcome;
  }

  private async applyPayment(event: PaymentLinkPaidEvent): Promise<string> {
    const { state } = this;
    if (!isSettledPayment(event.paymentStatus)) return 'ignored: payment not settled';
    const result = await this.acts.recordInvoicePayment({
      tenantId: state.tenantId,
      invoiceId: state.invoiceId,
      checkoutSessionId: event.checkoutSessionId,
      amount: event.amountTotal,
      currency: event.currency,
      paidAtMs: event.paidAt * 1000,
    });
    if (result.invoice) this.adopt(result.invoice, event.paidAt * 1000);
    if (isExcessPayment(result, event.checkoutSessionId) && event.paymentIntentId && patched(EXCESS_REFUND_PATCH)) {
      // Money for an invoice that was void or already paid by another payment goes back in full.
      const refunded = await this.excess.refundExcessPayment({
        tenantId: state.tenantId,
        paymentIntentId: event.paymentIntentId,
        ...(event.stripeAccount !== undefined ? { stripeAccount: event.stripeAccount } : {}),
        item: { kind: 'invoice', ref: state.invoiceId },
        amount: event.amountTotal,
        currency: event.currency,
        reason: excessRefundReason(result),
      });
      return `${result.outcome}: excess refunded (${refunded.refundId ?? 'pending'})`;
    }
    if (result.outcome === 'paid_after_void') log.warn('payment received for a cancelled invoice; refund needed', { invoiceId: state.invoiceId });
    return result.outcome;
  }
}
