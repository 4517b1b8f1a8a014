import { ApplicationFailure, condition, log, uuid4 } from '@temporalio/workflow';
import type { PaymentIntentSnapshot, PaymentIntentSummary } from '../../src/domain/order/contracts.js';
import { failureOf } from '../shared/rejection.js';
import { describeFailure, rejection } from './failures.js';
import type { CreatePaymentIntentRequest, OrderView } from './messages.js';
import type { OrderRun } from './order-run.js';
import { closeCheckoutAttempt } from './recovery-checkout.js';
import { isClosedAttempt, isLiveAttempt, isPaid, paymentIntentRejection, stripeFailureType } from './rules.js';

/** The createPaymentIntent validator: refuses early once the order is loaded (the handler decides before). */
export function validatePaymentIntentRequest(run: OrderRun, request: CreatePaymentIntentRequest): void {
  if (!run.hydrated) return;
  const rejected = paymentIntentRejection(run.state, request);
  if (rejected) throw failureOf(rejected);
}

/** createPaymentIntent: the open attempt's PaymentIntent, or a new attempt; one attempt is created at a time. */
export async function createPaymentIntent(run: OrderRun, request: CreatePaymentIntentRequest): Promise<PaymentIntentSummary> {
  run.touches++;
  await condition(() => run.hydrated);
  const rejected = paymentIntentRejection(run.state, request);
  if (rejected) throw failureOf(rejected);
  if (run.openingCheckout) {
    // One attempt at a time: a Checkout Session attempt being opened comes first.
    await condition(() => run.openingCheckout === undefined);
    const now = paymentIntentRejection(run.state, request);
    if (now) throw failureOf(now);
  }
  run.creatingAttempt ??= createAttempt(run, request).finally(() => {
    run.creatingAttempt = undefined;
  });
  try {
    return await run.creatingAttempt;
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    const failure = describeFailure(error);
    throw rejection(stripeFailureType(failure.type, 'payment_intent_failed'), failure.message);
  }
}

async function createAttempt(run: OrderRun, request: CreatePaymentIntentRequest): Promise<PaymentIntentSummary> {
  const { state, acts } = run;
  const open = run.currentAttempt();
  if (open?.checkout && isLiveAttempt(open)) {
    // A recovery Checkout Session is open: it stops taking payments before a PaymentIntent attempt replaces it.
    await closeCheckoutAttempt(run, open);
  }
  if (open && !isClosedAttempt(open.status)) {
    if (!open.clientSecret) {
      const intent = await acts.retrievePaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, paymentIntentId: open.paymentIntentId });
      open.clientSecret = intent.clientSecret ?? undefined;
    }
    return { id: open.paymentIntentId, clientSecret: open.clientSecret ?? '', attempt: open.attempt, status: open.status, amount: open.amount, currency: open.currency };
  }
  if (open && open.status === 'failed') {
    // A failed PaymentIntent can still be paid later; cancel it so the order cannot be paid twice.
    try {
      await acts.cancelPaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, attempt: open.attempt, paymentIntentId: open.paymentIntentId });
      open.status = 'canceled';
    } catch (error) {
      log.warn('could not cancel the failed attempt before a new one', { attempt: open.attempt, error: describeFailure(error).message });
    }
  }
  state.amount = request.amount;
  state.currency = request.currency;
  state.receiptEmail ??= request.receiptEmail;
  state.description ??= request.description;
  state.customerId ??= request.customerId;
  const record = { customerId: state.customerId, receiptEmail: state.receiptEmail, description: state.description };
  if (!run.lean) {
    await acts.recordOrder({ tenantId: state.tenantId, orderId: state.orderId, ...record, amount: request.amount, currency: request.currency });
    state.known = true;
  }
  const attempt = (open?.attempt ?? 0) + 1;
  let summary: PaymentIntentSummary;
  try {
    summary = await acts.createPaymentIntent({
      tenantId: state.tenantId,
      orderId: state.orderId,
      attempt,
      amount: request.amount,
      currency: request.currency,
      receiptEmail: request.receiptEmail,
      description: request.description,
      ...(run.lean ? { record } : {}),
    });
  } catch (error) {
    if (run.lean && !state.known) {
      // As before the merge: a failed PaymentIntent still leaves the order recorded and known (for a recovery checkout).
      await acts.recordOrder({ tenantId: state.tenantId, orderId: state.orderId, ...record, amount: request.amount, currency: request.currency });
      state.known = true;
    }
    throw error;
  }
  state.known = true;
  state.attempts.push({
    attempt,
    paymentIntentId: summary.id,
    clientSecret: summary.clientSecret,
    status: 'open',
    amount: request.amount,
    currency: request.currency,
  });
  if (!isPaid(state.status)) run.setStatus('pending');
  return { ...summary, status: 'open' };
}

/** confirmPayment: asks Stripe about the current attempt and applies the answer through the event loop. */
export async function confirmPayment(run: OrderRun): Promise<OrderView> {
  const { state, acts } = run;
  run.touches++;
  await condition(() => run.hydrated);
  const attempt = run.currentAttempt();
  if (!attempt) throw rejection('no_payment_intent', `order ${state.orderId} has no PaymentIntent yet`);
  let intent: PaymentIntentSnapshot;
  let named: { attempt: number } | Record<string, never> = {};
  if (attempt.checkout?.awaitingPaymentIntent) {
    // A Checkout Session attempt: Stripe names its PaymentIntent once the customer has paid (or tried).
    let found: PaymentIntentSnapshot | null;
    try {
      found = (await acts.retrieveOrderCheckoutSession({ tenantId: state.tenantId, orderId: state.orderId, checkoutSessionId: attempt.checkout.sessionId })).paymentIntent;
    } catch (error) {
      throw rejection('stripe_error', describeFailure(error).message);
    }
    if (!found) return run.view();
    intent = found;
    named = { attempt: attempt.attempt };
  } else {
    try {
      intent = await acts.retrievePaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, paymentIntentId: attempt.paymentIntentId });
    } catch (error) {
      throw rejection('stripe_error', describeFailure(error).message);
    }
  }
  // Applied through the event loop, so a webhook for the same change is serialised with it.
  const eventId = `confirm:${uuid4()}`;
  run.inbox.enqueue({ eventId, kind: 'payment_intent', type: 'reconcile', ...intent, ...named });
  await condition(() => run.inbox.hasLogged(eventId));
  return run.view();
}
