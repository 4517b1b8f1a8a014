/**
 * Open invoices the way production opens them: a Stripe invoice.finalized webhook routed by
 * src/webhooks/handlers/invoices.ts, i.e. signalWithStart of the invoice workflow with the event's snapshot. The
 * due date is 30 days ahead, so each workflow records the invoice and then waits on its due-date timer.
 */
import type { Client } from '@temporalio/client';
import type { StripeInvoiceEvent, StripeInvoiceSnapshot } from '../../src/domain/invoice/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { SignalArgs } from '../../src/temporal/signal-args.js';
import { invoiceWorkflowId } from '../../src/temporal/workflow-ids.js';
import { invoiceEventSignal, INVOICE_WORKFLOW_TYPE, type InvoiceWorkflow } from '../../workflows/invoice/messages.js';

const DAY_SECONDS = 24 * 60 * 60;
/** Several invoices per customer, as a tenant bills the same clients again. */
const INVOICES_PER_CUSTOMER = 10;

export interface InvoiceTarget {
  client: Client;
  taskQueue: string;
  retry: RetrySchedule;
  tenantId: string;
  /** Unix seconds the invoices were finalized at; later events of the bench come after it. */
  finalizedAt: number;
}

export const benchInvoiceId = (runTag: string, index: number): string => `in_bench_${runTag}_${index}`;

function openInvoice(invoiceId: string, index: number, finalizedAt: number): StripeInvoiceSnapshot {
  const customer = Math.floor(index / INVOICES_PER_CUSTOMER);
  return {
    id: invoiceId,
    status: 'open',
    transitions: { finalizedAt, paidAt: null, voidedAt: null, markedUncollectibleAt: null },
    created: finalizedAt,
    amountDue: 12_500,
    amountPaid: 0,
    currency: 'eur',
    dueDate: finalizedAt + 30 * DAY_SECONDS,
    customerId: `cus_bench_${customer}`,
    // Email and name on the invoice: no Stripe call to look the customer up.
    customerEmail: `customer-${customer}@bench.invalid`,
    customerName: `Bench customer ${customer}`,
    customerPhone: null,
    description: 'Consulting, November',
    subscriptionId: null,
    attemptCount: 0,
    lines: [{ id: `il_bench_${index}`, description: 'Consulting, November', quantity: 1, unitAmount: 12_500, amount: 12_500 }],
  };
}

/** The same call as the webhook router's signalInvoice. */
async function signalInvoice(target: InvoiceTarget, invoiceId: string, event: StripeInvoiceEvent): Promise<void> {
  await target.client.workflow.signalWithStart<InvoiceWorkflow, SignalArgs<typeof invoiceEventSignal>>(INVOICE_WORKFLOW_TYPE, {
    workflowId: invoiceWorkflowId(target.tenantId, invoiceId),
    taskQueue: target.taskQueue,
    args: [{ tenantId: target.tenantId, invoiceId, source: 'stripe', retry: target.retry }],
    signal: invoiceEventSignal,
    signalArgs: [event],
  });
}

/** invoice.finalized: starts the workflow, which records the invoice and arms its due-date timer. */
export function sendInvoiceFinalized(target: InvoiceTarget, invoiceId: string, index: number): Promise<void> {
  const invoice = openInvoice(invoiceId, index, target.finalizedAt);
  return signalInvoice(target, invoiceId, { kind: 'stripe', eventId: `evt_fin_${invoiceId}`, type: 'invoice.finalized', eventCreated: target.finalizedAt, invoice });
}

/**
 * invoice.updated, one second after finalization with a new description: the workflow upserts the row, whose
 * stripe_last_event_id becomes `eventId` (the effect the bench waits for). Returns that id.
 */
export async function sendInvoiceUpdated(target: InvoiceTarget, invoiceId: string, index: number): Promise<string> {
  const eventId = `evt_upd_${invoiceId}`;
  const invoice = { ...openInvoice(invoiceId, index, target.finalizedAt), description: 'Consulting, November (revised)' };
  await signalInvoice(target, invoiceId, { kind: 'stripe', eventId, type: 'invoice.updated', eventCreated: target.finalizedAt + 1, invoice });
  return eventId;
}
