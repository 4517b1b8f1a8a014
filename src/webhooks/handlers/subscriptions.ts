import type { SignalArgs } from '../../temporal/signal-args.js';
import type Stripe from 'stripe';
import { z } from 'zod';
import { invoiceSnapshot, invoiceSubscriptionId, subscriptionSnapshot } from '../../stripe/subscription-snapshot.js';
import { type InvoiceEventType, type SubscriptionEvent, type SubscriptionEventType } from '../../domain/subscription/contracts.js';
import { findSubscriptionTenants } from '../../db/subscriptions.js';
import { subscriptionWorkflowId } from '../../temporal/workflow-ids.js';
import { subscriptionEventSignal, SUBSCRIPTION_WORKFLOW_TYPE, type SubscriptionWorkflow } from '../../../workflows/subscription/messages.js';
import { amount, count, currency, expandable, invoiceShape, optionalRef, parseShape, stripeId, stripeWord, timestamp } from '../shapes.js';
import { tenantExists } from '../tenants.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap, WebhookOutcome } from '../types.js';

/** Every field subscriptionSnapshot reads; the status is one the workflow knows. */
const subscriptionShape = z.looseObject({
  id: stripeId,
  metadata: z.looseObject({ tenant_id: optionalRef, account_id: optionalRef }).nullish(),
  customer: expandable.nullish(),
  status: z.enum(['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused']),
  currency: currency.nullish(),
  cancel_at_period_end: z.boolean().nullish(),
  canceled_at: timestamp.nullish(),
  items: z
    .looseObject({
      data: z
        .array(
          z.looseObject({
            quantity: count.nullish(),
            current_period_start: timestamp.nullish(),
            current_period_end: timestamp.nullish(),
            price: z
              .looseObject({
                id: stripeId,
                product: expandable.nullish(),
                unit_amount: amount.nullish(),
                currency: currency.nullish(),
                recurring: z.looseObject({ interval: stripeWord.nullish(), interval_count: count.nullish() }).nullish(),
              })
              .nullish(),
          }),
        )
        .max(1000),
    })
    .nullish(),
});
/** A subscription invoice snapshot names its invoice. */
const subscriptionInvoiceShape = z.intersection(invoiceShape, z.looseObject({ id: stripeId }));

/**
 * The tenant is the connected account's owner, else the `tenant_id` our checkout put in the subscription
 * metadata (`subscription_data.metadata`; invoices carry a snapshot of it). Metadata naming another tenant
 * than the connected account is refused.
 */
async function resolveTenant(
  event: Stripe.Event,
  ctx: WebhookContext,
  metadataTenant: string | undefined,
  subscriptionId: string,
): Promise<{ tenantId: string } | { ignored: string }> {
  if (ctx.connectedTenantId !== undefined) {
    if (metadataTenant !== undefined && metadataTenant !== ctx.connectedTenantId) {
      ctx.log.warn({ eventId: event.id, account: event.account }, 'subscription metadata names another tenant than the connected account');
      return { ignored: 'tenant mismatch' };
    }
    return { tenantId: ctx.connectedTenantId };
  }
  if (metadataTenant) {
    if (await tenantExists(ctx, metadataTenant)) return { tenantId: metadataTenant };
    ctx.log.warn({ eventId: event.id, subscriptionId }, 'subscription metadata names an unknown tenant; ignored');
    return { ignored: 'unknown tenant' };
  }
  // Older invoices may lack the metadata snapshot: a subscription we already track names its tenant.
  const tenants = await findSubscriptionTenants(ctx.db, subscriptionId);
  if (tenants.length === 1) return { tenantId: tenants[0]! };
  return { ignored: 'subscription names no tenant' };
}

async function signal(ctx: WebhookContext, tenantId: string, subscriptionId: string, payload: SubscriptionEvent): Promise<WebhookOutcome> {
  const workflowId = subscriptionWorkflowId(tenantId, subscriptionId);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<SubscriptionWorkflow, SignalArgs<typeof subscriptionEventSignal>>(SUBSCRIPTION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId, subscriptionId, retry: ctx.retry }],
      signal: subscriptionEventSignal,
      signalArgs: [payload],
    }),
  );
  return { status: 'routed', workflowId };
}

const routeSubscription: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(subscriptionShape, event.data.object, 'subscription', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const subscription = parsed.data as unknown as Stripe.Subscription;
  const tenant = await resolveTenant(event, ctx, subscription.metadata?.tenant_id, subscription.id);
  if ('ignored' in tenant) return { status: 'ignored', reason: tenant.ignored };
  return signal(ctx, tenant.tenantId, subscription.id, {
    kind: 'subscription',
    eventId: event.id,
    type: event.type as SubscriptionEventType,
    created: event.created,
    subscription: subscriptionSnapshot(subscription),
  });
};

const routeInvoice: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(subscriptionInvoiceShape, event.data.object, 'subscription invoice', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const invoice = parsed.data as unknown as Stripe.Invoice;
  const subscriptionId = invoiceSubscriptionId(invoice);
  // One-off invoices (no subscription parent) are not ours: the invoices issue will route them.
  if (!subscriptionId) return { status: 'ignored', reason: 'invoice does not belong to a subscription' };
  const metadataTenant = invoice.parent?.subscription_details?.metadata?.tenant_id;
  const tenant = await resolveTenant(event, ctx, metadataTenant, subscriptionId);
  if ('ignored' in tenant) return { status: 'ignored', reason: tenant.ignored };
  return signal(ctx, tenant.tenantId, subscriptionId, {
    kind: 'invoice',
    eventId: event.id,
    type: event.type as InvoiceEventType,
    created: event.created,
    invoice: invoiceSnapshot(invoice, subscriptionId),
  });
};

/** customer.subscription.* and subscription invoice.* events → SubscriptionWorkflow. */
export const subscriptionHandlers: WebhookHandlerMap = {
  'customer.subscription.created': routeSubscription,
  'customer.subscription.updated': routeSubscription,
  'customer.subscription.deleted': routeSubscription,
  'invoice.payment_succeeded': routeInvoice,
  'invoice.payment_failed': routeInvoice,
};
