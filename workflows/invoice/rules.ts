import type { InvoiceEvent, InvoiceRecord } from '../../src/domain/invoice/contracts.js';
import { TERMINAL_INVOICE_STATUSES } from '../../src/domain/invoice/rules.js';
import {
  INVOICE_CANCELLED_ERROR,
  INVOICE_NOT_MANUAL_ERROR,
  INVOICE_PAID_ERROR,
  INVOICE_UNKNOWN_ERROR,
  type InvoiceInput,
  type InvoiceState,
} from './messages.js';

export function initialInvoiceState(input: InvoiceInput): InvoiceState {
  return {
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
}

/** Writes PostgreSQL's record into the state (in place); true when the due date changed (its timer is re-armed). */
export function adoptRecord(state: InvoiceState, record: InvoiceRecord): boolean {
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
  if (record.dueAtMs === state.dueAtMs) return false;
  state.dueAtMs = record.dueAtMs;
  return true;
}

/** Why a Payment Link may not be created (message and failure type), or undefined. */
export function linkRefusal(state: Pick<InvoiceState, 'status' | 'source'>): { message: string; type: string } | undefined {
  if (state.status === null) return { message: 'no such invoice', type: INVOICE_UNKNOWN_ERROR };
  if (state.source !== 'manual') return { message: 'Stripe-sourced invoices are paid through Stripe, not a Payment Link', type: INVOICE_NOT_MANUAL_ERROR };
  if (state.status === 'paid') return { message: 'invoice is already paid', type: INVOICE_PAID_ERROR };
  if (state.status === 'cancelled') return { message: 'invoice is cancelled', type: INVOICE_CANCELLED_ERROR };
  return undefined;
}

export const isTerminal = (state: Pick<InvoiceState, 'status'>): boolean => state.status !== null && TERMINAL_INVOICE_STATUSES.has(state.status);

/** The due date passed on a pending invoice not yet marked overdue. */
export const overdueDue = (state: Pick<InvoiceState, 'dueDateReached' | 'status' | 'overdue'>): boolean =>
  state.dueDateReached && state.status === 'pending' && !state.overdue;

/** A paid or void invoice whose Payment Link still takes payments: it is deactivated, so nobody pays twice. */
export const linkToDeactivate = (state: InvoiceState): boolean => isTerminal(state) && Boolean(state.paymentLink) && state.paymentLinkActive !== false;

/** The event-log type of an event: Stripe's event type, or our event kind. */
export const eventTypeOf = (event: InvoiceEvent): string => (event.kind === 'stripe' ? event.type : event.kind);

/** A Checkout payment that settled (paid, or nothing to pay). */
export const isSettledPayment = (paymentStatus: string): boolean => paymentStatus === 'paid' || paymentStatus === 'no_payment_required';

/** A payment for a void invoice, or for one another payment already paid: it goes back in full. */
export const isExcessPayment = (result: { outcome: string; paidBy?: string }, checkoutSessionId: string): boolean =>
  result.outcome === 'paid_after_void' || (result.outcome === 'already_paid' && result.paidBy !== checkoutSessionId);

export const excessRefundReason = (result: { outcome: string; paidBy?: string }): string =>
  result.outcome === 'paid_after_void' ? 'invoice is void' : `invoice already paid by ${result.paidBy ?? 'another payment'}`;

/** The test-only event budget of a run is spent. */
export const eventBudgetSpent = (input: Pick<InvoiceInput, 'continueAsNewAfterEvents'>, eventsThisRun: number): boolean =>
  input.continueAsNewAfterEvents !== undefined && eventsThisRun >= input.continueAsNewAfterEvents;
