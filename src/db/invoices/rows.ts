import type { Selectable } from 'kysely';
import type { InvoiceRecord, StripeInvoiceView } from '../../domain/invoice/contracts.js';
import { toSafeInteger } from '../../domain/money.js';
import type { InvoiceTables } from '../schema.js';

/** Row mappers shared by the invoice repositories. */
export type InvoiceRow = Selectable<InvoiceTables['invoices']>;
type LineRow = Selectable<InvoiceTables['invoice_line_items']>;

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

export interface InvoiceDetails extends InvoiceRecord {
  memo: string | null;
  createdAt: string;
  lines: InvoiceLine[];
}

export const secondsOf = (date: Date | null): number | null => (date === null ? null : Math.floor(date.getTime() / 1000));
export const dateOf = (seconds: number | null): Date | null => (seconds === null ? null : new Date(seconds * 1000));

export function stripeViewOf(row: InvoiceRow): StripeInvoiceView | null {
  if (row.stripe_status === null || row.stripe_last_event_at === null || row.stripe_last_event_id === null) return null;
  return {
    status: row.stripe_status,
    transitions: {
      finalizedAt: secondsOf(row.stripe_finalized_at),
      paidAt: secondsOf(row.stripe_paid_at),
      voidedAt: secondsOf(row.stripe_voided_at),
      markedUncollectibleAt: secondsOf(row.stripe_marked_uncollectible_at),
    },
    amountDue: toSafeInteger(row.amount_due),
    amountPaid: toSafeInteger(row.amount_paid),
    currency: row.currency,
    dueDate: secondsOf(row.due_at),
    customerId: row.stripe_customer_id,
    subscriptionId: row.stripe_subscription_id,
    lastEventAt: secondsOf(row.stripe_last_event_at)!,
    lastEventId: row.stripe_last_event_id,
  };
}

export function toRecord(row: InvoiceRow): InvoiceRecord {
  return {
    id: row.id,
    source: row.source,
    stripeInvoiceId: row.stripe_invoice_id,
    clientId: row.client_id,
    status: row.status,
    overdue: row.overdue,
    overdueReason: row.overdue_reason,
    amountDue: toSafeInteger(row.amount_due),
    amountPaid: toSafeInteger(row.amount_paid),
    currency: row.currency,
    dueAtMs: row.due_at ? row.due_at.getTime() : null,
    paidAtMs: row.paid_at ? row.paid_at.getTime() : null,
    paymentLink: row.payment_link_id && row.payment_link_url ? { id: row.payment_link_id, url: row.payment_link_url } : null,
    paymentLinkActive: row.payment_link_active,
    stripe: stripeViewOf(row),
  };
}

export function toDetails(row: InvoiceRow, lines: LineRow[]): InvoiceDetails {
  return {
    ...toRecord(row),
    memo: row.memo,
    createdAt: row.created_at.toISOString(),
    lines: lines.map((line) => ({
      description: line.description,
      quantity: line.quantity,
      unitAmount: toSafeInteger(line.unit_amount),
      amount: toSafeInteger(line.amount),
    })),
  };
}
