import type { SignalArgs } from '../../temporal/signal-args.js';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { TransactionPaymentEvent } from '../../domain/transaction/contracts.js';
import { transactionWorkflowId } from '../../temporal/workflow-ids.js';
import { transactionPaymentSignal, TRANSACTION_WORKFLOW_TYPE, type TransactionWorkflow } from '../../../workflows/transaction/messages.js';
import { amount, checkoutPayment, currency, idOf, parseShape, paymentError, ref, stripeId, truncate, type CheckoutPayment } from '../shapes.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap, WebhookOutcome } from '../types.js';

type Target = { tenantId: string; ref: string } | { ignored: string };

/** Our transaction metadata; the reference as POST /v1/checkout-sessions accepts it. */
const transactionMetadata = z.looseObject({ tenant_id: ref, transaction_ref: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'not a transaction reference') });
const transactionSession = z.intersection(checkoutPayment, z.looseObject({ metadata: transactionMetadata }));
const transactionIntent = z.looseObject({
  id: stripeId,
  metadata: transactionMetadata,
  amount,
  amount_received: amount.nullish(),
  currency,
  last_payment_error: paymentError,
});

/** Our metadata ({purpose: 'transaction', tenant_id, transaction_ref}), on sessions, links' sessions and PaymentIntents. */
function targetOf(metadata: Stripe.Metadata | null | undefined, ctx: WebhookContext): Target {
  if (metadata?.purpose !== 'transaction') return { ignored: 'not a transaction payment' };
  if (!metadata.tenant_id || !metadata.transaction_ref) return { ignored: 'malformed transaction metadata' };
  if (ctx.connectedTenantId !== undefined && ctx.connectedTenantId !== metadata.tenant_id) return { ignored: 'tenant mismatch' };
  return { tenantId: metadata.tenant_id, ref: metadata.transaction_ref };
}

/** Hands a payment to the transaction's workflow (started if closed: it reloads from PostgreSQL). */
export async function signalTransaction(ctx: WebhookContext, target: { tenantId: string; ref: string }, event: TransactionPaymentEvent): Promise<WebhookOutcome> {
  const workflowId = transactionWorkflowId(target.tenantId, target.ref);
  await ctx.temporal.withDeadline(Date.now() + ctx.deadlineMs, () =>
    ctx.temporal.workflow.signalWithStart<TransactionWorkflow, SignalArgs<typeof transactionPaymentSignal>>(TRANSACTION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ tenantId: target.tenantId, ref: target.ref, retry: ctx.retry }],
      signal: transactionPaymentSignal,
      signalArgs: [event],
    }),
  );
  return { status: 'routed', workflowId };
}

/** A paid Checkout Session of the transaction (its own session, or one of its Payment Link). */
export function paymentFromSession(event: Stripe.Event, session: CheckoutPayment): TransactionPaymentEvent | undefined {
  const paymentIntentId = idOf(session.payment_intent);
  if (!paymentIntentId || session.payment_status !== 'paid') return undefined;
  return {
    eventId: event.id,
    type: event.type,
    paymentIntentId,
    checkoutSessionId: session.id,
    status: 'succeeded',
    amount: session.amount_total ?? 0,
    currency: session.currency ?? '',
    stripeAccount: event.account ?? null,
  };
}

const routeSession: WebhookHandler = async (event, ctx) => {
  const target = targetOf((event.data.object as Stripe.Checkout.Session).metadata, ctx);
  if ('ignored' in target) return { status: 'ignored', reason: target.ignored };
  const parsed = parseShape(transactionSession, event.data.object, 'transaction checkout session', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const session = parsed.data;
  const payment = paymentFromSession(event, session);
  if (!payment) return { status: 'ignored', reason: 'transaction checkout not paid yet' };
  return signalTransaction(ctx, target, payment);
};

const routePaymentIntent: WebhookHandler = async (event, ctx) => {
  const target = targetOf((event.data.object as Stripe.PaymentIntent).metadata, ctx);
  if ('ignored' in target) return { status: 'ignored', reason: target.ignored };
  const parsed = parseShape(transactionIntent, event.data.object, 'transaction PaymentIntent', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const intent = parsed.data;
  const succeeded = event.type === 'payment_intent.succeeded';
  return signalTransaction(ctx, target, {
    eventId: event.id,
    type: event.type,
    paymentIntentId: intent.id,
    status: succeeded ? 'succeeded' : 'failed',
    amount: succeeded ? (intent.amount_received ?? 0) : (intent.amount ?? 0),
    currency: intent.currency,
    ...(intent.last_payment_error?.message ? { failureMessage: truncate(intent.last_payment_error.message, 500) } : {}),
    stripeAccount: event.account ?? null,
  });
};

/** Payments for the seed system's transactions → TransactionWorkflow `transaction:<tenant>:<ref>`. */
export const transactionHandlers: WebhookHandlerMap = {
  'checkout.session.completed': routeSession,
  'checkout.session.async_payment_succeeded': routeSession,
  'payment_intent.succeeded': routePaymentIntent,
  'payment_intent.payment_failed': routePaymentIntent,
};
