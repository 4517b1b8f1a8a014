import { ApplicationFailure, condition, log } from '@temporalio/workflow';
import { describeFailure, rejection } from './failures.js';
import type { OrderAttemptState, OrderRecoveryCheckout, RecoveryCheckoutRequest } from './messages.js';
import type { OrderRun } from './order-run.js';
import { isLiveAttempt, isPaid, isSettledForRecovery, stripeFailureType } from './rules.js';

// The recovery instrument: a Checkout Session attempt a recovery campaign sends the customer to.

const settledCheckout: OrderRecoveryCheckout = { settled: true, url: null, checkoutSessionId: null, expiresAtMs: null };

export function validateRecoveryCheckoutRequest(request: RecoveryCheckoutRequest): void {
  if (!request?.successUrl || !request?.cancelUrl) throw rejection('invalid_request', 'successUrl and cancelUrl are required');
}

/** openRecoveryCheckout: the open Checkout Session attempt (reused or new), or settled. */
export async function openRecoveryCheckout(run: OrderRun, request: RecoveryCheckoutRequest): Promise<OrderRecoveryCheckout> {
  const { state } = run;
  run.touches++;
  await condition(() => run.hydrated);
  if (isSettledForRecovery(state.status)) return settledCheckout;
  if (!state.known || state.amount === undefined || state.currency === undefined) {
    throw rejection('order_unknown', `order ${state.orderId} was never created`);
  }
  // One attempt at a time: a PaymentIntent attempt being created comes first.
  await condition(() => run.creatingAttempt === undefined);
  if (isSettledForRecovery(state.status)) return settledCheckout;
  run.openingCheckout ??= openCheckout(run, request).finally(() => {
    run.openingCheckout = undefined;
  });
  try {
    return await run.openingCheckout;
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    const failure = describeFailure(error);
    throw rejection(stripeFailureType(failure.type, 'checkout_failed'), failure.message);
  }
}

/** A Checkout Session attempt being replaced: it stops taking payments (best effort) and is closed. */
export async function closeCheckoutAttempt(run: OrderRun, attempt: OrderAttemptState): Promise<void> {
  const { state, acts } = run;
  const checkout = attempt.checkout!;
  try {
    await acts.expireOrderCheckoutSession({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, checkoutSessionId: checkout.sessionId });
  } catch (error) {
    // Expired or completed already: a payment through it still finds its attempt, and a second one is refunded.
    log.warn('could not expire the Checkout Session before a new attempt', { attempt: attempt.attempt, error: describeFailure(error).message });
  }
  if (!isLiveAttempt(attempt)) return;
  attempt.status = 'canceled';
  await acts.recordPaymentResult({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, status: 'canceled', orderStatus: state.status });
}

/**
 * An open PaymentIntent attempt (nobody is paying it: requires_payment_method) is canceled before a Checkout
 * Session attempt replaces it, so the order cannot be paid twice. One that is requires_action or processing is
 * left alone (the customer is paying right now); if both succeed, the second payment is refunded.
 */
async function retireAttempt(run: OrderRun, attempt: OrderAttemptState): Promise<void> {
  const { state, acts } = run;
  run.retiringAttempt = attempt.attempt;
  try {
    await acts.cancelPaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, paymentIntentId: attempt.paymentIntentId });
  } catch (error) {
    log.warn('could not cancel the open attempt before a Checkout Session attempt', { attempt: attempt.attempt, error: describeFailure(error).message });
    return;
  } finally {
    run.retiringAttempt = undefined;
  }
  if (!isLiveAttempt(attempt)) return;
  attempt.status = 'canceled';
  await acts.recordPaymentResult({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, status: 'canceled', orderStatus: state.status });
}

async function openCheckout(run: OrderRun, request: RecoveryCheckoutRequest): Promise<OrderRecoveryCheckout> {
  const { state, acts } = run;
  const current = run.currentAttempt();
  const reusable = current?.checkout && isLiveAttempt(current) ? current : undefined;
  if (current && !current.checkout && (current.status === 'open' || current.status === 'failed')) await retireAttempt(run, current);
  if (isSettledForRecovery(state.status)) return settledCheckout;
  const result = await acts.createOrderCheckoutSession({
    tenantId: state.tenantId,
    orderId: state.orderId,
    attempt: (current?.attempt ?? 0) + 1,
    amount: state.amount!,
    currency: state.currency!,
    ...(state.receiptEmail ? { receiptEmail: state.receiptEmail } : {}),
    successUrl: request.successUrl,
    cancelUrl: request.cancelUrl,
    ...(reusable?.checkout
      ? {
          current: {
            attempt: reusable.attempt,
            checkoutSessionId: reusable.checkout.sessionId,
            url: reusable.checkout.url,
            expiresAtMs: reusable.checkout.expiresAtMs,
            paymentIntentId: reusable.paymentIntentId,
          },
        }
      : {}),
  });
  if (result.created) {
    if (reusable && reusable.status !== 'succeeded') reusable.status = 'canceled';
    state.attempts.push({
      attempt: result.attempt,
      paymentIntentId: result.paymentIntentId,
      status: 'open',
      amount: state.amount!,
      currency: state.currency!,
      checkout: { sessionId: result.checkoutSessionId, url: result.url, expiresAtMs: result.expiresAtMs, awaitingPaymentIntent: true },
    });
    if (!isPaid(state.status)) run.setStatus('pending');
  }
  if (isSettledForRecovery(state.status)) return settledCheckout;
  return { settled: false, url: result.url, checkoutSessionId: result.checkoutSessionId, expiresAtMs: result.expiresAtMs };
}
