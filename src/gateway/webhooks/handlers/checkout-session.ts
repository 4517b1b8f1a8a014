import type Stripe from 'stripe';
import type { CheckoutSessionEvent, CheckoutSessionEventType } from '../../../../activities/topup-types.js';
import { topUpWorkflowId } from '../../../temporal/workflow-ids.js';
import { checkoutSessionEventSignal, topUpWorkflow } from '../../../../workflows/topup.js';
import type { WebhookHandler, WebhookHandlerMap } from '../types.js';

function toSignal(event: Stripe.Event, session: Stripe.Checkout.Session): CheckoutSessionEvent {
  return {
    eventId: event.id,
    type: event.type as CheckoutSessionEventType,
    sessionId: session.id,
    paymentStatus: session.payment_status as CheckoutSessionEvent['paymentStatus'],
    amountTotal: session.amount_total ?? 0,
    currency: session.currency ?? '',
  };
}

const routeCheckoutSession: WebhookHandler = async (event, ctx) => {
  const session = event.data.object as Stripe.Checkout.Session;
  const metadata = session.metadata ?? {};
  if (metadata.purpose !== 'top_up' || !metadata.tenant_id || !metadata.top_up_id) {
    return { status: 'ignored', reason: 'checkout session is not a credit top-up' };
  }
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) {
    ctx.log.warn({ eventId: event.id, account: event.account }, 'top-up metadata names another tenant than the connected account');
    return { status: 'ignored', reason: 'tenant mismatch' };
  }
  const workflowId = topUpWorkflowId(metadata.tenant_id, metadata.top_up_id);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart(topUpWorkflow, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId: metadata.tenant_id!, topUpId: metadata.top_up_id!, retry: ctx.retry }],
      signal: checkoutSessionEventSignal,
      signalArgs: [toSignal(event, session)],
    }),
  );
  return { status: 'routed', workflowId };
};

export const checkoutSessionHandlers: WebhookHandlerMap = {
  'checkout.session.completed': routeCheckoutSession,
  'checkout.session.async_payment_succeeded': routeCheckoutSession,
  'checkout.session.async_payment_failed': routeCheckoutSession,
  'checkout.session.expired': routeCheckoutSession,
};
