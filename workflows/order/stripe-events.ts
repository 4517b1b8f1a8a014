import { log, patched, uuid4 } from '@temporalio/workflow';
import type { OrderStripeEvent, PaymentIntentSnapshot, RefundSnapshot } from '../../src/domain/order/contracts.js';
import { rejectedEventOutcome } from '../shared/rejected-event.js';
import { describeFailure } from './failures.js';
import type { OrderAttemptState } from './messages.js';
import type { OrderRun } from './order-run.js';
import { EXCESS_REFUND_PATCH, FOREIGN_REFUND_PATCH, ORDER_REJECTED_INPUT_PATCH, RECOVERY_CAMPAIGNS_PATCH, REFUND_RECONCILE_PATCH } from './patches.js';
import {
  attemptMove,
  attemptPaidBy,
  attemptStep,
  awaitingCheckoutAttempt,
  chargeIsOurs,
  externalRefund,
  externalRefundStep,
  knownRefund,
  reconcileTarget,
  refundChange,
  toRefundStatus,
  UNKNOWN_ORDER_OUTCOME,
  type PaymentIntentEvent,
} from './rules.js';

/** Applies every queued event in arrival order; an order never created only logs them. */
export async function drain(run: OrderRun): Promise<void> {
  for (let event = run.inbox.take(); event; event = run.inbox.take()) {
    let outcome = UNKNOWN_ORDER_OUTCOME;
    try {
      if (run.state.known) outcome = await apply(run, event);
    } catch (error) {
      outcome = rejectedOutcome(run, event, error);
    }
    run.inbox.log({ eventId: event.eventId, type: event.type, outcome });
  }
}

/** No activity for a long time on an unpaid order: ask Stripe about the open attempt rather than assume. */
export async function reconcile(run: OrderRun): Promise<void> {
  const { state, acts } = run;
  const target = reconcileTarget(state);
  if (!target) return;
  let intent: PaymentIntentSnapshot;
  let named: { attempt: number } | Record<string, never> = {};
  if (target.kind === 'checkout_session') {
    const session = await acts.retrieveOrderCheckoutSession({ tenantId: state.tenantId, orderId: state.orderId, checkoutSessionId: target.checkoutSessionId });
    if (!session.paymentIntent) return; // never paid (or tried); an expired session takes no payment
    intent = session.paymentIntent;
    named = { attempt: target.attempt.attempt };
  } else {
    intent = await acts.retrievePaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, paymentIntentId: target.paymentIntentId });
  }
  const event: OrderStripeEvent = { eventId: `reconcile:${uuid4()}`, kind: 'payment_intent', type: 'reconcile', ...intent, ...named };
  run.inbox.markSeen(event.eventId);
  let outcome: string;
  try {
    outcome = await apply(run, event);
  } catch (error) {
    outcome = rejectedOutcome(run, event, error);
  }
  run.inbox.log({ eventId: event.eventId, type: event.type, outcome });
}

/** `rejected: <type>: <message>` for an event an activity refused for good; rethrows anything else. */
function rejectedOutcome(run: OrderRun, event: OrderStripeEvent, error: unknown): string {
  return rejectedEventOutcome(error, ORDER_REJECTED_INPUT_PATCH, 'order event rejected', { orderId: run.state.orderId, eventId: event.eventId, type: event.type });
}

async function apply(run: OrderRun, event: OrderStripeEvent): Promise<string> {
  const { state, acts } = run;
  switch (event.kind) {
    case 'payment_intent':
      return applyPaymentIntent(run, event);
    case 'refund':
      return applyRefund(run, event);
    case 'charge_refunded': {
      state.stripeAmountRefunded = event.amountRefunded;
      const outcomes: string[] = [];
      for (const refund of event.refunds ?? []) outcomes.push(await applyRefund(run, refund));
      if (chargeIsOurs(state, event.paymentIntentId) && state.known && patched(REFUND_RECONCILE_PATCH)) {
        // The stored total is recomputed from order_refunds under the order's row lock, repairing any drift.
        const { refundedTotal } = await acts.reconcileRefundTotals({ tenantId: state.tenantId, orderId: state.orderId });
        if (refundedTotal !== event.amountRefunded) {
          log.warn('order refunds differ from Stripe amount_refunded', { orderId: state.orderId, ours: refundedTotal, stripe: event.amountRefunded });
        }
        outcomes.push(`reconciled refunded_total ${refundedTotal} (Stripe amount_refunded ${event.amountRefunded})`);
      }
      return outcomes.length > 0 ? outcomes.join('; ') : `noted amount_refunded ${event.amountRefunded}`;
    }
  }
}

async function applyPaymentIntent(run: OrderRun, event: PaymentIntentEvent): Promise<string> {
  const { state, acts } = run;
  const attempt = attemptPaidBy(state, event.paymentIntentId);
  if (!attempt) {
    const awaiting = awaitingCheckoutAttempt(state, event);
    if (awaiting) return bindAndApply(run, awaiting, event);
    return 'ignored: PaymentIntent is not an attempt of this order';
  }
  const step = attemptStep(attempt.status, state.status, event);
  switch (step.kind) {
    case 'unchanged':
      return step.outcome;
    case 'paid_again':
      attempt.status = 'succeeded';
      attempt.amountReceived = event.amountReceived;
      log.warn('a second attempt was paid; it needs a refund', { orderId: state.orderId, paymentIntentId: event.paymentIntentId });
      await acts.recordPaymentResult({
        tenantId: state.tenantId,
        orderId: state.orderId,
        attempt: attempt.attempt,
        status: 'succeeded',
        amountReceived: event.amountReceived,
        orderStatus: state.status,
      });
      if (patched(EXCESS_REFUND_PATCH)) return refundExcess(run, event, attempt.currency);
      return `ignored: order already paid by ${state.paymentIntentId}; ${event.paymentIntentId} needs a refund`;
    case 'paid':
      attempt.status = 'succeeded';
      attempt.amountReceived = event.amountReceived;
      // Stripe's amount_received is what was captured, whatever the client asked for.
      state.capturedAmount = event.amountReceived;
      state.paymentIntentId = event.paymentIntentId;
      if (event.currency && state.currency && event.currency !== state.currency) {
        log.warn('PaymentIntent currency differs from the order', { order: state.currency, stripe: event.currency });
      }
      run.setStatus('paid');
      await acts.recordPaymentResult({
        tenantId: state.tenantId,
        orderId: state.orderId,
        attempt: attempt.attempt,
        status: 'succeeded',
        amountReceived: event.amountReceived,
        orderStatus: 'paid',
        paid: { paymentIntentId: event.paymentIntentId, capturedAmount: event.amountReceived },
      });
      // A recovery campaign chasing this order (if any) stops at once; its send path also re-reads the order.
      if (patched(RECOVERY_CAMPAIGNS_PATCH)) {
        await run.recovery.notifyItemPaid({
          tenantId: state.tenantId,
          item: { kind: 'order', ref: state.orderId },
          via: 'order',
          amount: event.amountReceived,
          reference: event.paymentIntentId,
        });
      }
      return `paid ${event.amountReceived}`;
    case 'moved': {
      const { next } = step;
      attempt.status = next;
      if (event.failureMessage) attempt.failureMessage = event.failureMessage;
      // An attempt being replaced by a Checkout Session attempt no longer moves the order.
      const { orderStatus, movesOrder } = attemptMove(state, attempt, next, run.retiringAttempt);
      if (movesOrder) run.setStatus(orderStatus);
      await acts.recordPaymentResult({
        tenantId: state.tenantId,
        orderId: state.orderId,
        attempt: attempt.attempt,
        status: next,
        failureMessage: event.failureMessage,
        orderStatus,
      });
      return next;
    }
  }
}

/**
 * A Checkout Session attempt learns its PaymentIntent from the first payment_intent event whose metadata.attempt
 * names it (the webhook router only routes events whose metadata names this order); then the event applies as usual.
 */
async function bindAndApply(run: OrderRun, attempt: OrderAttemptState, event: PaymentIntentEvent): Promise<string> {
  const { state, acts } = run;
  attempt.paymentIntentId = event.paymentIntentId;
  attempt.checkout!.awaitingPaymentIntent = false;
  await acts.bindCheckoutPaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, paymentIntentId: event.paymentIntentId });
  return `bound to checkout attempt ${attempt.attempt}; ${await applyPaymentIntent(run, event)}`;
}

/** Money that arrived for an order already paid goes back in full, once per PaymentIntent. */
async function refundExcess(run: OrderRun, event: PaymentIntentEvent, currency: string): Promise<string> {
  const { state } = run;
  const paidBy = state.paymentIntentId;
  try {
    const record = await run.excess.refundExcessPayment({
      tenantId: state.tenantId,
      paymentIntentId: event.paymentIntentId,
      item: { kind: 'order', ref: state.orderId },
      amount: event.amountReceived,
      currency: event.currency || currency,
      reason: `order already paid by ${paidBy}`,
    });
    return `excess: order already paid by ${paidBy}; ${event.paymentIntentId} refunded in full (refund ${record.refundId ?? 'not created'}, ${record.refundStatus})`;
  } catch (error) {
    const failure = describeFailure(error);
    log.error('excess payment could not be refunded', { orderId: state.orderId, paymentIntentId: event.paymentIntentId, error: failure.message });
    return `excess: order already paid by ${paidBy}; refund of ${event.paymentIntentId} failed: ${failure.message}`;
  }
}

async function applyRefund(run: OrderRun, snapshot: RefundSnapshot): Promise<string> {
  const { state, acts } = run;
  const status = toRefundStatus(snapshot.status);
  const entry = knownRefund(state, snapshot);
  if (entry) {
    const change = refundChange(entry.status, status);
    if (change.kind === 'same') {
      entry.stripeRefundId ??= snapshot.refundId;
      return 'no change';
    }
    if (change.kind === 'ignored') return change.outcome;
    entry.status = status;
    entry.stripeRefundId ??= snapshot.refundId;
    if (snapshot.failureReason) entry.failureReason = snapshot.failureReason;
    run.refreshRefundStatus();
    await acts.recordRefundStatus({
      tenantId: state.tenantId,
      orderId: state.orderId,
      refundRequestId: entry.id,
      status,
      stripeRefundId: snapshot.refundId,
      failureReason: snapshot.failureReason,
    });
    if (status === 'failed' || status === 'canceled') {
      log.warn('refund failed at Stripe; amount released', { orderId: state.orderId, refundId: entry.id, reason: snapshot.failureReason });
      return `refund ${status}: ${entry.amount} released${snapshot.failureReason ? ` (${snapshot.failureReason})` : ''}`;
    }
    return `refund ${status}`;
  }
  const step = externalRefundStep(state, snapshot, status, () => patched(FOREIGN_REFUND_PATCH));
  if (step.kind === 'ignored') return step.outcome;
  if (step.kind === 'exceeds') {
    log.warn('external refund exceeds what this order has left; not recorded', { refundId: snapshot.refundId, amount: snapshot.amount });
    return step.outcome;
  }
  const external = externalRefund(state, snapshot, status, `rf_${uuid4().replaceAll('-', '')}`);
  state.refunds.push(external);
  run.refreshRefundStatus();
  await acts.recordExternalRefund({
    tenantId: state.tenantId,
    orderId: state.orderId,
    refundRequestId: external.id,
    stripeRefundId: snapshot.refundId,
    paymentIntentId: external.paymentIntentId,
    amount: external.amount,
    currency: external.currency,
    status,
  });
  return `recorded external refund ${snapshot.refundId}`;
}
