import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { InvoiceEvent, InvoiceSource, InvoiceStatus, OverdueReason, PaymentLinkSummary, StripeInvoiceView } from '../../src/domain/invoice/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { EventLogEntry } from '../shared/event-inbox.js';

export const INVOICE_WORKFLOW_TYPE = 'invoiceWorkflow';

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
  eventLog: EventLogEntry[];
}

export type InvoiceWorkflow = (input: InvoiceInput) => Promise<InvoiceState>;

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
