import { describe, expect, it } from 'vitest';
import type { OrderRecord } from '../../../src/domain/order/contracts.js';
import type { OrderAttemptState, OrderRefundState, OrderState } from '../../../workflows/order/messages.js';
import {
  adoptRecord,
  attemptMove,
  attemptStatusFrom,
  attemptStep,
  awaitingCheckoutAttempt,
  externalRefund,
  externalRefundStep,
  idleTimeoutMs,
  initialOrderState,
  isSettled,
  isUntracked,
  mayClose,
  orderView,
  paymentIntentRejection,
  reconcileTarget,
  refundChange,
  refundRejection,
  reservedRefund,
  statusByRefunds,
  UNKNOWN_ORDER_OUTCOME,
} from '../../../workflows/order/rules.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function attempt(overrides: Partial<OrderAttemptState> = {}): OrderAttemptState {
  return { attempt: 1, paymentIntentId: 'pi_1', status: 'open', amount: 5000, currency: 'eur', ...overrides };
}

function refund(overrides: Partial<OrderRefundState> = {}): OrderRefundState {
  return {
    id: 'rf_1',
    requestKey: 'key-1',
    paymentIntentId: 'pi_1',
    amount: 1000,
    currency: 'eur',
    reason: 'requested_by_customer',
    status: 'succeeded',
    ...overrides,
  };
}

/** An order paid 5000 EUR by pi_1 (attempt 1). */
function paidOrder(overrides: Partial<OrderState> = {}): OrderState {
  return {
    ...initialOrderState({ tenantId: 't_1', orderId: 'ord_1' }),
    known: true,
    amount: 5000,
    currency: 'eur',
    status: 'paid',
    attempts: [attempt({ status: 'succeeded', amountReceived: 5000 })],
    paymentIntentId: 'pi_1',
    capturedAmount: 5000,
    ...overrides,
  };
}

/** An order created through the API with one open PaymentIntent attempt. */
function unpaidOrder(overrides: Partial<OrderState> = {}): OrderState {
  return { ...initialOrderState({ tenantId: 't_1', orderId: 'ord_1' }), known: true, amount: 5000, currency: 'eur', attempts: [attempt()], ...overrides };
}

describe('order rules: a refund made outside the API', () => {
  const snapshot = { refundId: 're_dash', paymentIntentId: 'pi_1', amount: 1500, currency: 'eur' };

  it('is recorded when it fits what the order has left', () => {
    const state = paidOrder({ refunds: [refund({ amount: 1000 })] });
    expect(externalRefundStep(state, snapshot, 'succeeded', () => true)).toEqual({ kind: 'record' });
    expect(externalRefund(state, snapshot, 'succeeded', 'rf_ext')).toEqual({
      id: 'rf_ext',
      requestKey: 'stripe:re_dash',
      paymentIntentId: 'pi_1',
      amount: 1500,
      currency: 'eur',
      reason: 'other',
      note: 'created outside this API',
      status: 'succeeded',
      stripeRefundId: 're_dash',
    });
  });

  it('moves the paid order to partially_refunded, then refunded, by the succeeded refunds', () => {
    expect(statusByRefunds(paidOrder({ refunds: [refund({ amount: 1500 })] }))).toBe('partially_refunded');
    expect(statusByRefunds(paidOrder({ refunds: [refund({ amount: 3000 }), refund({ id: 'rf_2', amount: 2000 })] }))).toBe('refunded');
    expect(statusByRefunds(paidOrder({ refunds: [refund({ status: 'pending' })] }))).toBe('paid');
    expect(statusByRefunds(unpaidOrder())).toBeUndefined();
  });

  it('is ignored when it exceeds what the order has left', () => {
    const state = paidOrder({ refunds: [refund({ amount: 4000 })] });
    expect(externalRefundStep(state, snapshot, 'succeeded', () => true)).toEqual({ kind: 'exceeds', outcome: 'ignored: external refund re_dash exceeds remaining 1000' });
  });

  it('is ignored on an unpaid order, or when it is not active', () => {
    expect(externalRefundStep(unpaidOrder(), snapshot, 'succeeded', () => true)).toEqual({ kind: 'ignored', outcome: 'ignored: unknown refund re_dash (succeeded)' });
    expect(externalRefundStep(paidOrder(), snapshot, 'failed', () => true)).toEqual({ kind: 'ignored', outcome: 'ignored: unknown refund re_dash (failed)' });
  });

  it('of another PaymentIntent is ignored under the patch, which is asked only for such a refund', () => {
    const asked: string[] = [];
    const foreign = { ...snapshot, paymentIntentId: 'pi_2' };
    expect(externalRefundStep(paidOrder(), foreign, 'succeeded', () => (asked.push('foreign'), true))).toEqual({
      kind: 'ignored',
      outcome: 'ignored: refund re_dash is of pi_2, not of pi_1',
    });
    // Histories from before the patch recorded it as the order's refund.
    expect(externalRefundStep(paidOrder(), foreign, 'succeeded', () => (asked.push('foreign'), false))).toEqual({ kind: 'record' });
    expect(externalRefundStep(paidOrder(), snapshot, 'succeeded', () => (asked.push('own'), true))).toEqual({ kind: 'record' });
    expect(asked).toEqual(['foreign', 'foreign']);
  });

  it('a known refund moves forward only', () => {
    expect(refundChange('pending', 'succeeded')).toEqual({ kind: 'apply' });
    expect(refundChange('succeeded', 'succeeded')).toEqual({ kind: 'same' });
    expect(refundChange('succeeded', 'pending')).toEqual({ kind: 'ignored', outcome: 'ignored: stale refund status' });
    expect(refundChange('failed', 'succeeded')).toEqual({ kind: 'ignored', outcome: 'ignored: refund already failed' });
    expect(refundChange('succeeded', 'failed')).toEqual({ kind: 'apply' });
  });
});

describe('order rules: a second paid attempt', () => {
  const succeeded = { type: 'payment_intent.succeeded' as const, status: 'succeeded' };

  it('pays an unpaid order, but is paid_again (refunded) once the order is paid', () => {
    expect(attemptStep('open', 'pending', succeeded)).toEqual({ kind: 'paid' });
    expect(attemptStep('open', 'paid', succeeded)).toEqual({ kind: 'paid_again' });
    expect(attemptStep('failed', 'partially_refunded', succeeded)).toEqual({ kind: 'paid_again' });
    expect(attemptStep('canceled', 'refunded', succeeded)).toEqual({ kind: 'paid_again' });
  });

  it('an attempt already succeeded changes nothing', () => {
    expect(attemptStep('succeeded', 'paid', succeeded)).toEqual({ kind: 'unchanged', outcome: 'ignored: attempt already succeeded' });
    expect(attemptStep('canceled', 'pending', { type: 'payment_intent.payment_failed', status: 'requires_payment_method' })).toEqual({
      kind: 'unchanged',
      outcome: 'ignored: attempt already canceled',
    });
  });

  it('a Checkout Session attempt is found by metadata.attempt while it waits for its PaymentIntent', () => {
    const checkout = attempt({ attempt: 2, paymentIntentId: 'pending:cs_1', checkout: { sessionId: 'cs_1', url: null, expiresAtMs: null, awaitingPaymentIntent: true } });
    const state = paidOrder({ attempts: [attempt({ status: 'succeeded' }), checkout] });
    expect(awaitingCheckoutAttempt(state, { attempt: 2 })).toBe(checkout);
    expect(awaitingCheckoutAttempt(state, { attempt: 1 })).toBeUndefined();
    expect(awaitingCheckoutAttempt(state, {})).toBeUndefined();
  });
});

describe('order rules: the idle reconcile', () => {
  it('waits 7 days on an unpaid order and 180 days on a paid one', () => {
    expect(idleTimeoutMs('pending')).toBe(7 * DAY_MS);
    expect(idleTimeoutMs('failed')).toBe(7 * DAY_MS);
    expect(idleTimeoutMs('paid')).toBe(180 * DAY_MS);
    expect(idleTimeoutMs('partially_refunded')).toBe(180 * DAY_MS);
  });

  it('asks Stripe about the open PaymentIntent attempt', () => {
    const state = unpaidOrder({ attempts: [attempt({ status: 'requires_action' })] });
    expect(reconcileTarget(state)).toEqual({ kind: 'payment_intent', attempt: state.attempts[0], paymentIntentId: 'pi_1' });
  });

  it('asks about the Checkout Session of an attempt still waiting for its PaymentIntent', () => {
    const checkout = attempt({ paymentIntentId: 'pending:cs_1', checkout: { sessionId: 'cs_1', url: null, expiresAtMs: null, awaitingPaymentIntent: true } });
    expect(reconcileTarget(unpaidOrder({ attempts: [checkout] }))).toEqual({ kind: 'checkout_session', attempt: checkout, checkoutSessionId: 'cs_1' });
  });

  it('asks nothing of a paid order, an order without attempts, or a closed attempt', () => {
    expect(reconcileTarget(paidOrder())).toBeUndefined();
    expect(reconcileTarget(unpaidOrder({ attempts: [] }))).toBeUndefined();
    expect(reconcileTarget(unpaidOrder({ attempts: [attempt({ status: 'failed' })] }))).toBeUndefined();
    expect(reconcileTarget(unpaidOrder({ attempts: [attempt({ status: 'canceled' })] }))).toBeUndefined();
  });

  it('reads Stripe statuses of a reconcile: requires_payment_method is failed only with a failure message', () => {
    expect(attemptStatusFrom({ type: 'reconcile', status: 'requires_payment_method', failureMessage: 'card declined' })).toBe('failed');
    expect(attemptStatusFrom({ type: 'reconcile', status: 'requires_payment_method' })).toBeUndefined();
    expect(attemptStatusFrom({ type: 'reconcile', status: 'processing' })).toBe('processing');
    expect(attemptStep('open', 'pending', { type: 'reconcile', status: 'requires_payment_method' })).toEqual({
      kind: 'unchanged',
      outcome: 'no change (PaymentIntent is requires_payment_method)',
    });
  });

  it('an idle order closes once handlers finished and nothing waits', () => {
    expect(mayClose('idle', unpaidOrder(), { pending: false, handlersFinished: true })).toBe(true);
    expect(mayClose('idle', unpaidOrder(), { pending: true, handlersFinished: true })).toBe(false);
    expect(mayClose('idle', unpaidOrder(), { pending: false, handlersFinished: false })).toBe(false);
  });
});

describe('order rules: an unknown order', () => {
  it('is untracked when a webhook opens it and PostgreSQL does not know it', () => {
    const unknown = initialOrderState({ tenantId: 't_1', orderId: 'ord_x' });
    expect(isUntracked(unknown, 'webhook')).toBe(true);
    expect(isUntracked(unknown, 'api')).toBe(false);
    expect(isUntracked(unpaidOrder(), 'webhook')).toBe(false);
    expect(UNKNOWN_ORDER_OUTCOME).toBe('ignored: unknown order');
  });

  it('closes after its wait unless an update created it meanwhile', () => {
    const unknown = initialOrderState({ tenantId: 't_1', orderId: 'ord_x' });
    expect(mayClose('unknown', unknown, { pending: false, handlersFinished: true })).toBe(true);
    expect(mayClose('unknown', { ...unknown, known: true }, { pending: false, handlersFinished: true })).toBe(false);
  });

  it('refuses a refund', () => {
    const unknown = initialOrderState({ tenantId: 't_1', orderId: 'ord_x' });
    expect(refundRejection(unknown, { requestKey: 'k', reason: 'other' })).toEqual({ type: 'payment_not_refundable', message: 'order ord_x is pending, not paid' });
  });
});

describe('order rules: requests', () => {
  it('refuses a PaymentIntent for a paid order, a bad amount, or another amount than the order was created for', () => {
    expect(paymentIntentRejection(paidOrder(), { amount: 5000, currency: 'eur' })).toEqual({ type: 'order_already_paid', message: 'order ord_1 is already paid' });
    expect(paymentIntentRejection(unpaidOrder(), { amount: 0, currency: 'eur' })).toEqual({ type: 'invalid_amount', message: 'amount must be a positive integer' });
    expect(paymentIntentRejection(unpaidOrder(), { amount: 4000, currency: 'eur' })).toEqual({
      type: 'order_amount_mismatch',
      message: 'order ord_1 was created for 5000 eur',
    });
    expect(paymentIntentRejection(unpaidOrder(), { amount: 5000, currency: 'eur' })).toBeUndefined();
  });

  it('refuses a refund beyond what is left, saying how much is left', () => {
    const state = paidOrder({ refunds: [refund({ amount: 4500, status: 'pending' })] });
    expect(refundRejection(state, { requestKey: 'k2', amount: 600, reason: 'other' })).toEqual({
      type: 'refund_exceeds_remaining',
      message: 'refund of 600 exceeds the remaining refundable 500',
      details: { remaining: 500, requested: 600, captured: 5000 },
    });
    expect(refundRejection(state, { requestKey: 'key-1', amount: 600, reason: 'other' })).toBeUndefined(); // a replay
    expect(refundRejection(state, { requestKey: 'k3', reason: 'other', paymentIntentId: 'pi_9' })).toEqual({
      type: 'payment_not_refundable',
      message: 'PaymentIntent pi_9 did not pay order ord_1',
    });
  });

  it('reserves the remaining amount when a refund names none', () => {
    const state = paidOrder({ refunds: [refund({ amount: 1000 })] });
    expect(reservedRefund(state, { requestKey: 'k2', reason: 'duplicate', note: 'dup' }, 'rf_2')).toEqual({
      id: 'rf_2',
      requestKey: 'k2',
      paymentIntentId: 'pi_1',
      amount: 4000,
      currency: 'eur',
      reason: 'duplicate',
      note: 'dup',
      status: 'pending',
    });
  });

  it('shows what is refundable only for a paid order', () => {
    expect(orderView(paidOrder({ refunds: [refund({ amount: 1000 }), refund({ id: 'rf_2', amount: 500, status: 'pending' })] }))).toEqual({
      status: 'paid',
      capturedAmount: 5000,
      refundedAmount: 1000,
      remainingRefundable: 3500,
      paymentIntentId: 'pi_1',
      currency: 'eur',
    });
    expect(orderView(unpaidOrder()).remainingRefundable).toBe(0);
  });

  it('is settled when refunded with no refund still moving', () => {
    expect(isSettled(paidOrder({ status: 'refunded', refunds: [refund({ amount: 5000 })] }))).toBe(true);
    expect(isSettled(paidOrder({ status: 'refunded', refunds: [refund({ amount: 5000 }), refund({ id: 'rf_2', status: 'requires_action' })] }))).toBe(false);
    expect(isSettled(paidOrder())).toBe(false);
  });
});

describe('order rules: attempts that move', () => {
  it('the current attempt moves an unpaid order; a retiring one records the order status unchanged', () => {
    const state = unpaidOrder();
    const current = state.attempts[0]!;
    expect(attemptMove(state, current, 'requires_action', undefined)).toEqual({ orderStatus: 'requires_action', movesOrder: true });
    expect(attemptMove(state, current, 'open', undefined)).toEqual({ orderStatus: 'pending', movesOrder: true });
    expect(attemptMove(state, current, 'canceled', 1)).toEqual({ orderStatus: 'pending', movesOrder: false });
    expect(attemptMove(paidOrder(), paidOrder().attempts[0]!, 'failed', undefined)).toEqual({ orderStatus: 'failed', movesOrder: false });
  });
});

describe('order rules: loading a reopened order', () => {
  it('adopts what PostgreSQL knows, a Checkout Session attempt waiting for its PaymentIntent included', () => {
    const state = initialOrderState({ tenantId: 't_1', orderId: 'ord_1' });
    const record: OrderRecord = {
      tenantId: 't_1',
      id: 'ord_1',
      customerId: 'cus_1',
      receiptEmail: null,
      description: 'Shoes',
      amount: 5000,
      currency: 'eur',
      status: 'pending',
      currentAttempt: 2,
      paymentIntentId: null,
      capturedAmount: 0,
      refundedTotal: 0,
      paidAt: null,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      attempts: [
        { attempt: 1, paymentIntentId: 'pi_1', status: 'weird', amount: 5000, currency: 'eur', amountReceived: null, failureMessage: 'declined' },
        { attempt: 2, paymentIntentId: 'pending:cs_1', checkoutSessionId: 'cs_1', status: 'open', amount: 5000, currency: 'eur', amountReceived: null, failureMessage: null },
      ],
      refunds: [],
    };
    adoptRecord(state, record);
    expect(state).toEqual({
      tenantId: 't_1',
      orderId: 'ord_1',
      known: true,
      customerId: 'cus_1',
      receiptEmail: undefined,
      description: 'Shoes',
      amount: 5000,
      currency: 'eur',
      status: 'pending',
      paymentIntentId: undefined,
      capturedAmount: 0,
      attempts: [
        { attempt: 1, paymentIntentId: 'pi_1', status: 'open', amount: 5000, currency: 'eur', failureMessage: 'declined' },
        {
          attempt: 2,
          paymentIntentId: 'pending:cs_1',
          status: 'open',
          amount: 5000,
          currency: 'eur',
          checkout: { sessionId: 'cs_1', url: null, expiresAtMs: null, awaitingPaymentIntent: true },
        },
      ],
      refunds: [],
      seenEventIds: [],
      eventLog: [],
    });
  });
});
