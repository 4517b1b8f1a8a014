/** Contracts of the Invoice workflow, its activities, the webhook router and the REST routes. */

/** Our status. Stripe's draft→draft, open and uncollectible→pending, paid→paid, void→cancelled. */
export type InvoiceStatus = 'draft' | 'pending' | 'paid' | 'cancelled';
export type InvoiceSource = 'stripe' | 'manual';
export type StripeInvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
export type OverdueReason = 'due_date_passed' | 'payment_failed';

export const INVOICE_EVENT_TYPES = [
  'invoice.created',
  'invoice.finalized',
  'invoice.updated',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.voided',
  'invoice.marked_uncollectible',
] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

/** Stripe's `status_transitions`, unix seconds. */
export interface StripeStatusTransitions {
  finalizedAt: number | null;
  paidAt: number | null;
  voidedAt: number | null;
  markedUncollectibleAt: number | null;
}

export interface StripeInvoiceLine {
  id: string | null;
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

/** The parts of a Stripe Invoice we keep; amounts in minor units, times in unix seconds. */
export interface StripeInvoiceSnapshot {
  id: string;
  status: StripeInvoiceStatus;
  transitions: StripeStatusTransitions;
  created: number;
  amountDue: number;
  amountPaid: number;
  currency: string;
  dueDate: number | null;
  customerId: string | null;
  customerEmail: string | null;
  customerName: string | null;
  /** Optional: snapshots recorded before phones were kept lack it. */
  customerPhone?: string | null;
  description: string | null;
  subscriptionId: string | null;
  attemptCount: number;
  lines: StripeInvoiceLine[];
}

/**
 * What we know of the Stripe object, merged from every snapshot seen in any order: the status and fields of the
 * snapshot with the highest (rank, event time, event id), and the union of all status transitions.
 */
export interface StripeInvoiceView {
  status: StripeInvoiceStatus;
  transitions: StripeStatusTransitions;
  amountDue: number;
  amountPaid: number;
  currency: string;
  dueDate: number | null;
  customerId: string | null;
  subscriptionId: string | null;
  /** Unix seconds of the event whose snapshot the fields come from. */
  lastEventAt: number;
  lastEventId: string;
}

/**
 * A Stripe invoice.* webhook, or a synthetic event (`type: 'import'`, eventId `import:<stripe id>:<status>`,
 * eventCreated = the newest status transition) sent by an import/backfill through the same signal.
 */
export interface StripeInvoiceEvent {
  kind: 'stripe';
  eventId: string;
  type: InvoiceEventType | 'import';
  /** Unix seconds (Stripe's event.created). */
  eventCreated: number;
  invoice: StripeInvoiceSnapshot;
}

/** checkout.session.completed of a session created by the invoice's Payment Link. */
export interface PaymentLinkPaidEvent {
  kind: 'payment_link_paid';
  eventId: string;
  checkoutSessionId: string;
  /** The session's PaymentIntent: what a refund of excess money refers to. Absent in events from older runs. */
  paymentIntentId?: string | null;
  /** The event's `account` (null: the platform account): where a refund of this payment must go. */
  stripeAccount?: string | null;
  paymentLinkId: string | null;
  paymentStatus: string;
  amountTotal: number;
  currency: string;
  /** Unix seconds (event.created). */
  paidAt: number;
}

/** POST /v1/invoices/:id/void already moved the row to cancelled; the workflow cleans up (link, timers). */
export interface InvoiceVoidedEvent {
  kind: 'voided';
  eventId: string;
}

export type InvoiceEvent = StripeInvoiceEvent | PaymentLinkPaidEvent | InvoiceVoidedEvent;

export interface PaymentLinkSummary {
  id: string;
  url: string;
}

/** What PostgreSQL knows of an invoice: seeds a new or reopened workflow run. */
export interface InvoiceRecord {
  id: string;
  source: InvoiceSource;
  stripeInvoiceId: string | null;
  clientId: string | null;
  status: InvoiceStatus;
  overdue: boolean;
  overdueReason: OverdueReason | null;
  amountDue: number;
  amountPaid: number;
  currency: string;
  /** Epoch milliseconds. */
  dueAtMs: number | null;
  paidAtMs: number | null;
  paymentLink: PaymentLinkSummary | null;
  paymentLinkActive: boolean | null;
  stripe: StripeInvoiceView | null;
}

export interface UpsertInvoiceResult {
  outcome: 'inserted' | 'applied' | 'stale' | 'conflict';
  invoice: InvoiceRecord;
  /** The activity's clock (epoch ms), so the workflow can arm the due-date timer without reading a clock. */
  nowMs: number;
}
