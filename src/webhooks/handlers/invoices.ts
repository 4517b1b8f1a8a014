import type { SignalArgs } from '../../temporal/signal-args.js';
import type Stripe from 'stripe';
import { z } from 'zod';
import { INVOICE_EVENT_TYPES, type InvoiceEvent, type InvoiceEventType } from '../../domain/invoice/contracts.js';
import { findInvoicesByPaymentLink } from '../../db/invoices/queries.js';
import { invoiceSnapshotFrom } from '../../stripe/invoice-snapshot.js';
import { invoiceSubscriptionId } from '../../stripe/subscription-snapshot.js';
import { invoiceWorkflowId } from '../../temporal/workflow-ids.js';
import { invoiceEventSignal, INVOICE_WORKFLOW_TYPE, type InvoiceWorkflow } from '../../../workflows/invoice/messages.js';
import { amount, checkoutPayment, currency, expandable, idOf, invoiceShape, optionalRef, parseShape } from '../shapes.js';
import { parkEvent } from '../park.js';
import { tenantExists } from '../tenants.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap, WebhookOutcome } from '../types.js';

/** A Payment Link checkout: its link (a database lookup key), our metadata, and the payment, amount and currency always. */
const invoiceCheckoutShape = z.intersection(
  checkoutPayment,
  z.looseObject({
    metadata: z.looseObject({ tenant_id: optionalRef, invoice_id: optionalRef }).nullish(),
    payment_link: expandable.nullish(),
    amount_total: amount,
    currency,
  }),
);

async function signalInvoice(
  ctx: WebhookContext,
  target: { tenantId: string; invoiceId: string; source: 'stripe' | 'manual' },
  event: InvoiceEvent,
): Promise<WebhookOutcome> {
  const workflowId = invoiceWorkflowId(target.tenantId, target.invoiceId);
  // signalWithStart: a closed invoice workflow is reopened and reloads its state from PostgreSQL.
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<InvoiceWorkflow, SignalArgs<typeof invoiceEventSignal>>(INVOICE_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId: target.tenantId, invoiceId: target.invoiceId, source: target.source, retry: ctx.retry }],
      signal: invoiceEventSignal,
      signalArgs: [event],
    }),
  );
  return { status: 'routed', workflowId };
}

/**
 * Every invoice.* type we track, subscription invoices included (the subscription handler routes those too).
 * Tenant: the connected account's, else the invoice's metadata tenant_id; platform invoices without one are ignored.
 */
const routeInvoice: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(invoiceShape, event.data.object, 'invoice', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const invoice = parsed.data as unknown as Stripe.Invoice;
  if (!invoice.id) return { status: 'ignored', reason: 'invoice without id (preview)' };
  const metadataTenant = invoice.metadata?.tenant_id;
  if (ctx.connectedTenantId !== undefined && metadataTenant && metadataTenant !== ctx.connectedTenantId) {
    ctx.log.warn({ eventId: event.id, account: event.account }, 'invoice metadata names another tenant than the connected account');
  }
  const tenantId = ctx.connectedTenantId ?? metadataTenant;
  if (!tenantId) {
    // A subscription's invoice names its tenant on the subscription: the subscription handler routes it.
    if (invoiceSubscriptionId(invoice)) return { status: 'ignored', reason: 'invoice has no tenant' };
    return parkEvent(event, 'invoice_without_tenant', ctx);
  }
  if (!(await tenantExists(ctx, tenantId))) {
    ctx.log.warn({ eventId: event.id, invoice: invoice.id }, 'invoice metadata names an unknown tenant; ignored');
    return { status: 'ignored', reason: 'unknown tenant' };
  }
  return signalInvoice(
    ctx,
    { tenantId, invoiceId: invoice.id, source: 'stripe' },
    { kind: 'stripe', eventId: event.id, type: event.type as InvoiceEventType, eventCreated: event.created, invoice: invoiceSnapshotFrom(invoice) },
  );
};

/**
 * A Checkout Session of an invoice's Payment Link: found by the link metadata Stripe copies onto the session
 * (purpose 'invoice'), else by the stored payment_link id. Everything else is someone else's session.
 */
const routeInvoiceCheckout: WebhookHandler = async (event, ctx) => {
  const raw = event.data.object as Stripe.Checkout.Session;
  const purpose: unknown = raw.metadata?.purpose;
  if (purpose !== 'invoice' && !(purpose === undefined && raw.payment_link)) {
    return { status: 'ignored', reason: 'checkout session is not an invoice payment' };
  }
  const parsed = parseShape(invoiceCheckoutShape, raw, 'invoice checkout session', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const session = parsed.data;
  const metadata = { ...session.metadata, purpose };
  const paymentLinkId = idOf(session.payment_link) ?? null;
  let target: { tenantId: string; invoiceId: string } | undefined;
  if (metadata.purpose === 'invoice' && metadata.tenant_id && metadata.invoice_id) {
    if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) {
      ctx.log.warn({ eventId: event.id, account: event.account }, 'invoice metadata names another tenant than the connected account');
      return { status: 'ignored', reason: 'tenant mismatch' };
    }
    target = { tenantId: metadata.tenant_id, invoiceId: metadata.invoice_id };
  } else if (paymentLinkId && metadata.purpose === undefined) {
    const matches = await findInvoicesByPaymentLink(ctx.db, paymentLinkId, ctx.connectedTenantId);
    if (matches.length > 1) {
      ctx.log.warn({ eventId: event.id, paymentLinkId }, 'payment link matches several invoices; not routed');
      return { status: 'ignored', reason: 'ambiguous payment link' };
    }
    target = matches[0] ? { tenantId: matches[0].tenantId, invoiceId: matches[0].id } : undefined;
  }
  if (!target) return { status: 'ignored', reason: 'checkout session is not an invoice payment' };
  return signalInvoice(
    ctx,
    { ...target, source: 'manual' },
    {
      kind: 'payment_link_paid',
      eventId: event.id,
      checkoutSessionId: session.id,
      paymentIntentId: idOf(session.payment_intent) ?? null,
      stripeAccount: event.account ?? null,
      paymentLinkId,
      paymentStatus: session.payment_status,
      amountTotal: session.amount_total,
      currency: session.currency,
      paidAt: event.created,
    },
  );
};

/** invoice.* events → InvoiceWorkflow (one per invoice); Payment Link checkouts → the manual invoice's workflow. */
export const invoiceHandlers: WebhookHandlerMap = {
  ...Object.fromEntries(INVOICE_EVENT_TYPES.map((type) => [type, routeInvoice])),
  'checkout.session.completed': routeInvoiceCheckout,
  'checkout.session.async_payment_succeeded': routeInvoiceCheckout,
};
