import type { SignalArgs } from '../../temporal/signal-args.js';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { CheckoutSessionEvent, CheckoutSessionEventType } from '../../domain/top-up/contracts.js';
import { topUpWorkflowId } from '../../temporal/workflow-ids.js';
import { checkoutSessionEventSignal, TOP_UP_WORKFLOW_TYPE, type TopUpWorkflow } from '../../../workflows/top-up/messages.js';
import { amount, checkoutPaymentFields, currency, parseShape, ref } from '../shapes.js';
import type { WebhookHandler, WebhookHandlerMap } from '../types.js';

/**
 * What a top-up session must carry: our metadata and its payment fields, amount and currency even when unpaid
 * (our sessions always have them; async_payment_succeeded credits whatever payment_status says). One stripping
 * object, not an intersection with the loose checkoutPayment: only these fields are read, and merging two loose
 * copies of the session cost ~80 µs per webhook, the largest item on the ingest path.
 */
const topUpSession = z.object({
  ...checkoutPaymentFields,
  metadata: z.object({ tenant_id: ref, top_up_id: ref }),
  amount_total: amount,
  currency,
});
type TopUpSession = z.output<typeof topUpSession>;

function toSignal(event: Stripe.Event, session: TopUpSession): CheckoutSessionEvent {
  return {
    eventId: event.id,
    type: event.type as CheckoutSessionEventType,
    sessionId: session.id,
    paymentStatus: session.payment_status,
    amountTotal: session.amount_total,
    currency: session.currency,
  };
}

const routeCheckoutSession: WebhookHandler = async (event, ctx) => {
  const raw = event.data.object as Stripe.Checkout.Session;
  if (raw.metadata?.purpose !== 'top_up') {
    return { status: 'ignored', reason: 'checkout session is not a credit top-up' };
  }
  const parsed = parseShape(topUpSession, raw, 'top-up checkout session', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const session = parsed.data;
  const metadata = session.metadata;
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) {
    ctx.log.warn({ eventId: event.id, account: event.account }, 'top-up metadata names another tenant than the connected account');
    return { status: 'ignored', reason: 'tenant mismatch' };
  }
  const workflowId = topUpWorkflowId(metadata.tenant_id, metadata.top_up_id);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<TopUpWorkflow, SignalArgs<typeof checkoutSessionEventSignal>>(TOP_UP_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId: metadata.tenant_id, topUpId: metadata.top_up_id, retry: ctx.retry }],
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
