import type Stripe from 'stripe';
import type { StripeInvoiceSnapshot, StripeInvoiceStatus } from '../domain/invoice/contracts.js';
import { expandableId } from './ids.js';

const STATUSES: ReadonlySet<string> = new Set(['draft', 'open', 'paid', 'uncollectible', 'void']);
/** Lines kept per invoice: enough for display; the Stripe invoice stays the source of truth. */
const MAX_LINES = 50;

/** The parts of a Stripe Invoice (webhook payload or API answer) the invoice workflow keeps. */
export function invoiceSnapshotFrom(invoice: Stripe.Invoice): StripeInvoiceSnapshot {
  const status = (invoice.status && STATUSES.has(invoice.status) ? invoice.status : 'draft') as StripeInvoiceStatus;
  const transitions = invoice.status_transitions ?? { finalized_at: null, paid_at: null, voided_at: null, marked_uncollectible_at: null };
  const customer = invoice.customer as string | { id: string; email?: string | null; name?: string | null } | null;
  return {
    id: invoice.id!,
    status,
    transitions: {
      finalizedAt: transitions.finalized_at ?? null,
      paidAt: transitions.paid_at ?? null,
      voidedAt: transitions.voided_at ?? null,
      markedUncollectibleAt: transitions.marked_uncollectible_at ?? null,
    },
    created: invoice.created,
    amountDue: invoice.amount_due ?? 0,
    amountPaid: invoice.amount_paid ?? 0,
    currency: (invoice.currency ?? 'usd').toLowerCase(),
    dueDate: invoice.due_date ?? null,
    customerId: expandableId(customer),
    customerEmail: invoice.customer_email ?? (typeof customer === 'object' ? (customer?.email ?? null) : null),
    customerName: invoice.customer_name ?? (typeof customer === 'object' ? (customer?.name ?? null) : null),
    customerPhone: invoice.customer_phone ?? null,
    description: invoice.description ?? null,
    subscriptionId: expandableId(invoice.parent?.subscription_details?.subscription ?? null),
    attemptCount: invoice.attempt_count ?? 0,
    lines: (invoice.lines?.data ?? []).slice(0, MAX_LINES).map((line) => {
      const quantity = line.quantity ?? 1;
      return {
        id: line.id ?? null,
        description: line.description ?? 'Invoice line',
        quantity,
        unitAmount: quantity > 0 ? Math.round(line.amount / quantity) : line.amount,
        amount: line.amount,
      };
    }),
  };
}
