import type { SignalArgs } from '../../temporal/signal-args.js';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { OrderStripeEvent, PaymentIntentEventType, RefundSnapshot } from '../../domain/order/contracts.js';
import type { TopUpPaymentIntentEventType } from '../../domain/top-up/contracts.js';
import { findOrdersByPaymentIntent } from '../../db/orders/order.js';
import { orderWorkflowId, topUpWorkflowId } from '../../temporal/workflow-ids.js';
import { orderStripeEventSignal, ORDER_WORKFLOW_TYPE, type OrderWorkflow } from '../../../workflows/order/messages.js';
import { paymentIntentEventSignal, TOP_UP_WORKFLOW_TYPE, type TopUpWorkflow } from '../../../workflows/top-up/messages.js';
import { amount, currency, expandable, idOf, metadataValue, optionalRef, parseShape, paymentError, ref, stripeId, stripeWord, text } from '../shapes.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap, WebhookOutcome } from '../types.js';

type Target = { tenantId: string; orderId: string } | { ignored: string };

const orderMetadata = z
  .looseObject({ purpose: metadataValue, tenant_id: optionalRef, order_id: optionalRef, attempt: metadataValue, refund_request_id: optionalRef })
  .nullish();
const intentShape = z.looseObject({
  id: stripeId,
  metadata: orderMetadata,
  status: stripeWord,
  amount,
  amount_received: amount.nullish(),
  currency,
  last_payment_error: paymentError,
});
/** order_refunds.status takes exactly Stripe's refund statuses. */
const refundShape = z.looseObject({
  id: stripeId,
  metadata: orderMetadata,
  payment_intent: expandable.nullish(),
  amount,
  currency,
  status: z.enum(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']).nullish(),
  failure_reason: text(200).nullish(),
});
const chargeShape = z.looseObject({
  metadata: orderMetadata,
  payment_intent: expandable.nullish(),
  amount_refunded: amount,
  currency,
  refunds: z.looseObject({ data: z.array(refundShape).max(1000).nullish() }).nullish(),
});

/** Our metadata first ({purpose: 'order', tenant_id, order_id}); top-up and foreign objects are not ours. */
async function resolveTarget(metadata: z.output<typeof orderMetadata>, paymentIntentId: string | undefined, ctx: WebhookContext): Promise<Target> {
  if (metadata?.purpose === 'order' && metadata.tenant_id && metadata.order_id) {
    if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) return { ignored: 'tenant mismatch' };
    return { tenantId: metadata.tenant_id, orderId: metadata.order_id };
  }
  if (metadata?.purpose && metadata.purpose !== 'order') return { ignored: `not an order payment (${metadata.purpose})` };
  if (!paymentIntentId) return { ignored: 'no order metadata and no PaymentIntent' };
  const matches = await findOrdersByPaymentIntent(ctx.db, paymentIntentId, ctx.connectedTenantId);
  if (matches.length === 0) return { ignored: 'PaymentIntent belongs to no order' };
  if (matches.length > 1) return { ignored: 'PaymentIntent matches several orders' };
  return matches[0]!;
}

async function signal(target: Target, signalArg: OrderStripeEvent, ctx: WebhookContext): Promise<WebhookOutcome> {
  if ('ignored' in target) return { status: 'ignored', reason: target.ignored };
  const workflowId = orderWorkflowId(target.tenantId, target.orderId);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<OrderWorkflow, SignalArgs<typeof orderStripeEventSignal>>(ORDER_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId: target.tenantId, orderId: target.orderId, origin: 'webhook', retry: ctx.retry }],
      signal: orderStripeEventSignal,
      signalArgs: [signalArg],
    }),
  );
  return { status: 'routed', workflowId };
}

const topUpIntentShape = z.looseObject({
  id: stripeId,
  metadata: z.looseObject({ tenant_id: ref, top_up_id: ref }),
  status: stripeWord,
  amount_received: amount.nullish(),
  currency,
});
const TOP_UP_INTENT_EVENTS = new Set<string>(['payment_intent.succeeded', 'payment_intent.processing', 'payment_intent.payment_failed', 'payment_intent.canceled']);

/**
 * A PaymentIntent with our top-up metadata (an Elements top-up's, or the one a top-up's Checkout Session made) →
 * TopUpWorkflow `topup:<tenant>:<top-up>`, which credits amount_received under the top-up's one ledger key.
 */
const routeTopUpPaymentIntent: WebhookHandler = async (event, ctx) => {
  if (!TOP_UP_INTENT_EVENTS.has(event.type)) return { status: 'ignored', reason: `${event.type} changes no top-up` };
  const parsed = parseShape(topUpIntentShape, event.data.object, 'top-up PaymentIntent', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const intent = parsed.data;
  const { tenant_id: tenantId, top_up_id: topUpId } = intent.metadata;
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== tenantId) {
    ctx.log.warn({ eventId: event.id, account: event.account }, 'top-up metadata names another tenant than the connected account');
    return { status: 'ignored', reason: 'tenant mismatch' };
  }
  const workflowId = topUpWorkflowId(tenantId, topUpId);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<TopUpWorkflow, SignalArgs<typeof paymentIntentEventSignal>>(TOP_UP_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId, topUpId, retry: ctx.retry }],
      signal: paymentIntentEventSignal,
      signalArgs: [
        {
          eventId: event.id,
          type: event.type as TopUpPaymentIntentEventType,
          paymentIntentId: intent.id,
          status: intent.status,
          amountReceived: intent.amount_received ?? 0,
          currency: intent.currency,
        },
      ],
    }),
  );
  return { status: 'routed', workflowId };
};

const routePaymentIntent: WebhookHandler = async (event, ctx) => {
  const purpose = (event.data.object as Stripe.PaymentIntent).metadata?.purpose;
  if (purpose === 'top_up') return routeTopUpPaymentIntent(event, ctx);
  if (purpose !== 'order') return { status: 'ignored', reason: 'PaymentIntent is not an order payment' };
  const parsed = parseShape(intentShape, event.data.object, 'order PaymentIntent', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const intent = parsed.data;
  const metadata = intent.metadata ?? {};
  const target = await resolveTarget(metadata, undefined, ctx);
  return signal(
    target,
    {
      eventId: event.id,
      kind: 'payment_intent',
      type: event.type as PaymentIntentEventType,
      paymentIntentId: intent.id,
      status: intent.status,
      amount: intent.amount,
      amountReceived: intent.amount_received ?? 0,
      currency: intent.currency,
      ...(intent.last_payment_error?.message ? { failureMessage: intent.last_payment_error.message } : {}),
      ...(/^[1-9]\d{0,8}$/.test(metadata.attempt ?? '') ? { attempt: Number(metadata.attempt) } : {}),
    },
    ctx,
  );
};

function refundSnapshot(refund: z.output<typeof refundShape>): RefundSnapshot {
  return {
    refundId: refund.id,
    ...(refund.metadata?.refund_request_id ? { refundRequestId: refund.metadata.refund_request_id } : {}),
    ...(idOf(refund.payment_intent) ? { paymentIntentId: idOf(refund.payment_intent) } : {}),
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status ?? 'pending',
    ...(refund.failure_reason ? { failureReason: refund.failure_reason } : {}),
  };
}

const routeRefund: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(refundShape, event.data.object, 'refund', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const refund = parsed.data;
  const target = await resolveTarget(refund.metadata, idOf(refund.payment_intent), ctx);
  return signal(target, { eventId: event.id, kind: 'refund', type: event.type, ...refundSnapshot(refund) }, ctx);
};

const routeChargeRefunded: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(chargeShape, event.data.object, 'charge', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const charge = parsed.data;
  const target = await resolveTarget(charge.metadata, idOf(charge.payment_intent), ctx);
  const refunds = charge.refunds?.data?.map(refundSnapshot);
  return signal(
    target,
    {
      eventId: event.id,
      kind: 'charge_refunded',
      type: 'charge.refunded',
      ...(idOf(charge.payment_intent) ? { paymentIntentId: idOf(charge.payment_intent) } : {}),
      amountRefunded: charge.amount_refunded,
      currency: charge.currency,
      ...(refunds && refunds.length > 0 ? { refunds } : {}),
    },
    ctx,
  );
};

/** payment_intent.*, charge.refunded and refund.* events → OrderWorkflow `order:<tenant>:<order>`; top-up PaymentIntents → TopUpWorkflow. */
export const paymentHandlers: WebhookHandlerMap = {
  'payment_intent.succeeded': routePaymentIntent,
  'payment_intent.payment_failed': routePaymentIntent,
  'payment_intent.canceled': routePaymentIntent,
  'payment_intent.requires_action': routePaymentIntent,
  'payment_intent.processing': routePaymentIntent,
  'charge.refunded': routeChargeRefunded,
  'charge.refund.updated': routeRefund,
  'refund.created': routeRefund,
  'refund.updated': routeRefund,
  'refund.failed': routeRefund,
};
