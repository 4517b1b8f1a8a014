/**
 * The order's pure decisions, in one module on purpose (a little over 300 lines): its unit test reads as the order's
 * rulebook. Sections: state, money, requests, Stripe events, idle and closing. No @temporalio/workflow calls here.
 */
import type { OrderRecord, OrderStatus, OrderStripeEvent, RefundSnapshot, RefundStatus } from '../../src/domain/order/contracts.js';
import type { Rejection } from '../shared/rejection.js';
import type {
  AttemptStatus,
  CreatePaymentIntentRequest,
  OrderAttemptState,
  OrderInput,
  OrderRefundState,
  OrderState,
  OrderView,
  RefundRequest,
} from './messages.js';

export type PaymentIntentEvent = Extract<OrderStripeEvent, { kind: 'payment_intent' }>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long an untracked order waits for an event (or for an update that creates it) before it closes. */
export const UNKNOWN_ORDER_WAIT_MS = DAY_MS;
/** A paid order stays open for refunds; after this long without any activity it closes (a later event reopens it). */
const PAID_IDLE_MS = 180 * DAY_MS;
/** An unpaid order is reconciled with Stripe and closed after this long without activity. */
const UNPAID_IDLE_MS = 7 * DAY_MS;

export const UNKNOWN_ORDER_OUTCOME = 'ignored: unknown order';

const PAID: ReadonlySet<OrderStatus> = new Set(['paid', 'partially_refunded', 'refunded']);
const ACTIVE_REFUND: ReadonlySet<RefundStatus> = new Set(['pending', 'requires_action', 'succeeded']);
const CLOSED_ATTEMPT: ReadonlySet<AttemptStatus> = new Set(['failed', 'canceled', 'succeeded']);
const REFUND_STATUSES: ReadonlySet<string> = new Set(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']);
const ATTEMPT_STATUSES: readonly string[] = ['open', 'requires_action', 'processing', 'failed', 'canceled', 'succeeded'];

export const isPaid = (status: OrderStatus): boolean => PAID.has(status);
export const isActiveRefund = (status: RefundStatus): boolean => ACTIVE_REFUND.has(status);
export const isClosedAttempt = (status: AttemptStatus): boolean => CLOSED_ATTEMPT.has(status);
/** An attempt that still takes a payment: neither succeeded nor canceled (a failed PaymentIntent can be paid later). */
export const isLiveAttempt = (attempt: OrderAttemptState): boolean => attempt.status !== 'succeeded' && attempt.status !== 'canceled';

export const toRefundStatus = (status: string): RefundStatus => (REFUND_STATUSES.has(status) ? (status as RefundStatus) : 'pending');
export const toAttemptStatus = (status: string): AttemptStatus => (ATTEMPT_STATUSES.includes(status) ? (status as AttemptStatus) : 'open');

export function initialOrderState(input: Pick<OrderInput, 'tenantId' | 'orderId'>): OrderState {
  return {
    tenantId: input.tenantId,
    orderId: input.orderId,
    known: false,
    status: 'pending',
    attempts: [],
    capturedAmount: 0,
    refunds: [],
    seenEventIds: [],
    eventLog: [],
  };
}

/** What PostgreSQL knows of a reopened order, written into the fresh state (in place). */
export function adoptRecord(state: OrderState, known: OrderRecord): void {
  state.known = true;
  state.customerId = known.customerId ?? undefined;
  state.receiptEmail = known.receiptEmail ?? undefined;
  state.description = known.description ?? undefined;
  state.amount = known.amount;
  state.currency = known.currency;
  state.status = known.status;
  state.paymentIntentId = known.paymentIntentId ?? undefined;
  state.capturedAmount = known.capturedAmount;
  state.attempts = known.attempts.map((attempt) => ({
    attempt: attempt.attempt,
    paymentIntentId: attempt.paymentIntentId,
    status: toAttemptStatus(attempt.status),
    amount: attempt.amount,
    currency: attempt.currency,
    ...(attempt.amountReceived !== null ? { amountReceived: attempt.amountReceived } : {}),
    ...(attempt.failureMessage !== null ? { failureMessage: attempt.failureMessage } : {}),
    ...(attempt.checkoutSessionId
      ? { checkout: { sessionId: attempt.checkoutSessionId, url: null, expiresAtMs: null, awaitingPaymentIntent: true } }
      : {}),
  }));
  state.refunds = known.refunds.map(({ createdAt: _createdAt, ...refund }) => refund);
}

// ---- Money ---------------------------------------------------------------------------------------------------

type Balance = Pick<OrderState, 'refunds' | 'capturedAmount'>;

/** Refunds pending, requiring action or succeeded: money already promised back. */
export const activeRefundTotal = (state: Pick<OrderState, 'refunds'>): number =>
  state.refunds.filter((r) => isActiveRefund(r.status)).reduce((sum, r) => sum + r.amount, 0);
export const refundedAmount = (state: Pick<OrderState, 'refunds'>): number =>
  state.refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
export const remainingRefundable = (state: Balance): number => state.capturedAmount - activeRefundTotal(state);

export const currentAttempt = (state: Pick<OrderState, 'attempts'>): OrderAttemptState | undefined => state.attempts[state.attempts.length - 1];

export function orderView(state: OrderState): OrderView {
  return {
    status: state.status,
    capturedAmount: state.capturedAmount,
    refundedAmount: refundedAmount(state),
    remainingRefundable: isPaid(state.status) ? remainingRefundable(state) : 0,
    paymentIntentId: state.paymentIntentId,
    currency: state.currency,
  };
}

/** A paid order's status by its succeeded refunds (paid / partially_refunded / refunded); undefined when not paid. */
export function statusByRefunds(state: Pick<OrderState, 'status' | 'refunds' | 'capturedAmount'>): OrderStatus | undefined {
  if (!isPaid(state.status)) return undefined;
  const refunded = refundedAmount(state);
  return refunded === 0 ? 'paid' : refunded >= state.capturedAmount ? 'refunded' : 'partially_refunded';
}

/** Fully refunded with no refund still moving: the order can close. */
export const isSettled = (state: Pick<OrderState, 'status' | 'refunds'>): boolean =>
  state.status === 'refunded' && state.refunds.every((refund) => refund.status !== 'pending' && refund.status !== 'requires_action');

/** Paid or canceled: a recovery campaign has nothing to collect. */
export const isSettledForRecovery = (status: OrderStatus): boolean => isPaid(status) || status === 'canceled';

// ---- Requests ------------------------------------------------------------------------------------------------

export function paymentIntentRejection(state: OrderState, request: CreatePaymentIntentRequest): Rejection | undefined {
  if (isPaid(state.status)) return { type: 'order_already_paid', message: `order ${state.orderId} is already ${state.status}` };
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) return { type: 'invalid_amount', message: 'amount must be a positive integer' };
  if (state.amount !== undefined && (state.amount !== request.amount || state.currency !== request.currency)) {
    return { type: 'order_amount_mismatch', message: `order ${state.orderId} was created for ${state.amount} ${state.currency}` };
  }
  return undefined;
}

/** A request key seen before: the refund request is a replay, answered with the first answer. */
export const isRefundReplay = (state: Pick<OrderState, 'refunds'>, requestKey: string): boolean =>
  state.refunds.some((refund) => refund.requestKey === requestKey);

export function refundRejection(state: OrderState, request: RefundRequest): Rejection | undefined {
  if (isRefundReplay(state, request.requestKey)) return undefined;
  if (!isPaid(state.status) || state.capturedAmount <= 0 || !state.paymentIntentId) {
    return { type: 'payment_not_refundable', message: `order ${state.orderId} is ${state.status}, not paid` };
  }
  if (request.paymentIntentId !== undefined && request.paymentIntentId !== state.paymentIntentId) {
    return { type: 'payment_not_refundable', message: `PaymentIntent ${request.paymentIntentId} did not pay order ${state.orderId}` };
  }
  const left = remainingRefundable(state);
  const amount = request.amount ?? left;
  if (request.amount !== undefined && (!Number.isSafeInteger(request.amount) || request.amount <= 0)) {
    return { type: 'invalid_amount', message: 'amount must be a positive integer' };
  }
  if (left <= 0 || amount > left) {
    return {
      type: 'refund_exceeds_remaining',
      message: `refund of ${amount} exceeds the remaining refundable ${Math.max(left, 0)}`,
      details: { remaining: Math.max(left, 0), requested: amount, captured: state.capturedAmount },
    };
  }
  return undefined;
}

/** The refund reserved for an accepted request (status pending until Stripe answers). */
export function reservedRefund(state: OrderState, request: RefundRequest, id: string): OrderRefundState {
  return {
    id,
    requestKey: request.requestKey,
    paymentIntentId: state.paymentIntentId!,
    amount: request.amount ?? remainingRefundable(state),
    currency: state.currency ?? '',
    reason: request.reason,
    ...(request.note ? { note: request.note } : {}),
    status: 'pending',
  };
}

/** The failure type for a Stripe call that failed with `type`, where `otherwise` names any other failure. */
export const stripeFailureType = (type: string | undefined, otherwise: string): string => (type === 'StripeClientError' ? 'stripe_error' : otherwise);

// ---- Stripe events -------------------------------------------------------------------------------------------

export function attemptStatusFrom(event: Pick<PaymentIntentEvent, 'type' | 'status' | 'failureMessage'>): AttemptStatus | undefined {
  switch (event.type) {
    case 'payment_intent.succeeded':
      return 'succeeded';
    case 'payment_intent.payment_failed':
      return 'failed';
    case 'payment_intent.canceled':
      return 'canceled';
    case 'payment_intent.requires_action':
      return 'requires_action';
    case 'payment_intent.processing':
      return 'processing';
    case 'reconcile':
      if (event.status === 'succeeded') return 'succeeded';
      if (event.status === 'canceled') return 'canceled';
      if (event.status === 'requires_action') return 'requires_action';
      if (event.status === 'processing') return 'processing';
      if (event.status === 'requires_payment_method' && event.failureMessage) return 'failed';
      return undefined;
  }
}

/** The newest attempt with this PaymentIntent. */
export const attemptPaidBy = (state: Pick<OrderState, 'attempts'>, paymentIntentId: string): OrderAttemptState | undefined =>
  [...state.attempts].reverse().find((candidate) => candidate.paymentIntentId === paymentIntentId);

/** The Checkout Session attempt a PaymentIntent's metadata.attempt names, while it waits for its PaymentIntent. */
export const awaitingCheckoutAttempt = (state: Pick<OrderState, 'attempts'>, event: Pick<PaymentIntentEvent, 'attempt'>): OrderAttemptState | undefined =>
  event.attempt === undefined
    ? undefined
    : state.attempts.find((candidate) => candidate.attempt === event.attempt && candidate.checkout?.awaitingPaymentIntent === true);

/** What a payment_intent event does to its attempt. */
export type AttemptStep =
  | { kind: 'unchanged'; outcome: string }
  /** The order's first payment. */
  | { kind: 'paid' }
  /** A second attempt paid an order already paid: the money goes back. */
  | { kind: 'paid_again' }
  | { kind: 'moved'; next: Exclude<AttemptStatus, 'succeeded'> };

export function attemptStep(attemptStatus: AttemptStatus, orderStatus: OrderStatus, event: Pick<PaymentIntentEvent, 'type' | 'status' | 'failureMessage'>): AttemptStep {
  const next = attemptStatusFrom(event);
  if (!next) return { kind: 'unchanged', outcome: `no change (PaymentIntent is ${event.status})` };
  if (attemptStatus === 'succeeded' || (attemptStatus === 'canceled' && next !== 'succeeded')) {
    return { kind: 'unchanged', outcome: `ignored: attempt already ${attemptStatus}` };
  }
  if (next === attemptStatus) return { kind: 'unchanged', outcome: 'no change' };
  if (next === 'succeeded') return isPaid(orderStatus) ? { kind: 'paid_again' } : { kind: 'paid' };
  return { kind: 'moved', next };
}

/**
 * The order status an attempt's move (not to succeeded) records, and whether it becomes the order's status: only the
 * current attempt of an unpaid order moves it, and never one being replaced by a Checkout Session attempt.
 */
export function attemptMove(
  state: Pick<OrderState, 'status' | 'attempts'>,
  attempt: OrderAttemptState,
  next: Exclude<AttemptStatus, 'succeeded'>,
  retiringAttempt: number | undefined,
): { orderStatus: OrderStatus; movesOrder: boolean } {
  const retiring = attempt.attempt === retiringAttempt;
  const orderStatus: OrderStatus = retiring ? state.status : next === 'open' ? 'pending' : next;
  const isCurrent = attempt === currentAttempt(state) && !retiring;
  return { orderStatus, movesOrder: isCurrent && !isPaid(state.status) };
}

/** What a refund status from Stripe does to a refund the order knows. */
export type RefundChange = { kind: 'same' } | { kind: 'ignored'; outcome: string } | { kind: 'apply' };

export function refundChange(known: RefundStatus, incoming: RefundStatus): RefundChange {
  if (known === incoming) return { kind: 'same' };
  if (known === 'succeeded' && (incoming === 'pending' || incoming === 'requires_action')) return { kind: 'ignored', outcome: 'ignored: stale refund status' };
  if ((known === 'failed' || known === 'canceled') && isActiveRefund(incoming)) return { kind: 'ignored', outcome: `ignored: refund already ${known}` };
  return { kind: 'apply' };
}

/** The refund of this snapshot the order already knows (by our id, or by Stripe's). */
export const knownRefund = (state: Pick<OrderState, 'refunds'>, snapshot: Pick<RefundSnapshot, 'refundRequestId' | 'refundId'>): OrderRefundState | undefined =>
  state.refunds.find(
    (refund) => (snapshot.refundRequestId !== undefined && refund.id === snapshot.refundRequestId) || refund.stripeRefundId === snapshot.refundId,
  );

/** What a refund made outside this API does to the order. */
export type ExternalRefundStep = { kind: 'ignored'; outcome: string } | { kind: 'exceeds'; outcome: string } | { kind: 'record' };

/**
 * A refund the order does not know (made in the Stripe dashboard, say). `ignoresForeign` is asked only for a refund
 * of another PaymentIntent, and says whether such refunds are ignored (a patch decides; it must not be asked otherwise).
 */
export function externalRefundStep(
  state: OrderState,
  snapshot: Pick<RefundSnapshot, 'refundId' | 'paymentIntentId' | 'amount'>,
  status: RefundStatus,
  ignoresForeign: () => boolean,
): ExternalRefundStep {
  if (!isPaid(state.status) || !isActiveRefund(status)) return { kind: 'ignored', outcome: `ignored: unknown refund ${snapshot.refundId} (${status})` };
  if (snapshot.paymentIntentId !== undefined && snapshot.paymentIntentId !== state.paymentIntentId && ignoresForeign()) {
    // A refund of another attempt's PaymentIntent (an excess payment) takes nothing from what paid the order.
    return { kind: 'ignored', outcome: `ignored: refund ${snapshot.refundId} is of ${snapshot.paymentIntentId}, not of ${state.paymentIntentId}` };
  }
  const left = remainingRefundable(state);
  if (snapshot.amount > left) return { kind: 'exceeds', outcome: `ignored: external refund ${snapshot.refundId} exceeds remaining ${left}` };
  return { kind: 'record' };
}

/** The order's entry for a refund made outside this API. */
export function externalRefund(state: OrderState, snapshot: Pick<RefundSnapshot, 'refundId' | 'amount' | 'currency'>, status: RefundStatus, id: string): OrderRefundState {
  return {
    id,
    requestKey: `stripe:${snapshot.refundId}`,
    paymentIntentId: state.paymentIntentId!,
    amount: snapshot.amount,
    currency: state.currency ?? snapshot.currency,
    reason: 'other',
    note: 'created outside this API',
    status,
    stripeRefundId: snapshot.refundId,
  };
}

/** charge.refunded concerns the PaymentIntent that paid the order (or does not say which). */
export const chargeIsOurs = (state: Pick<OrderState, 'paymentIntentId'>, paymentIntentId: string | undefined): boolean =>
  paymentIntentId === undefined || paymentIntentId === state.paymentIntentId;

// ---- Idle, reconcile and closing -------------------------------------------------------------------------------

/** Only orders created through our API are tracked; a webhook that opens an unknown one only logs its events. */
export const isUntracked = (state: Pick<OrderState, 'known'>, origin: OrderInput['origin']): boolean => !state.known && origin === 'webhook';

/** How long the order waits without activity before it reconciles (unpaid) or closes (paid). */
export const idleTimeoutMs = (status: OrderStatus): number => (isPaid(status) ? PAID_IDLE_MS : UNPAID_IDLE_MS);

/** What to ask Stripe about when an unpaid order has been idle: its open attempt, if any. */
export type ReconcileTarget =
  | { kind: 'checkout_session'; attempt: OrderAttemptState; checkoutSessionId: string }
  | { kind: 'payment_intent'; attempt: OrderAttemptState; paymentIntentId: string };

export function reconcileTarget(state: Pick<OrderState, 'status' | 'attempts'>): ReconcileTarget | undefined {
  const attempt = currentAttempt(state);
  if (isPaid(state.status) || !attempt || isClosedAttempt(attempt.status)) return undefined;
  if (attempt.checkout?.awaitingPaymentIntent) return { kind: 'checkout_session', attempt, checkoutSessionId: attempt.checkout.sessionId };
  return { kind: 'payment_intent', attempt, paymentIntentId: attempt.paymentIntentId };
}

/** Why the main loop stopped waiting: an untracked order's wait ended, the order went idle, or it is settled. */
export type Closing = 'unknown' | 'idle' | 'settled';

/** Whether the order may close now; otherwise the main loop runs again (something arrived, or the reason is gone). */
export function mayClose(closing: Closing, state: Pick<OrderState, 'known' | 'status' | 'refunds'>, now: { pending: boolean; handlersFinished: boolean }): boolean {
  if (now.pending || !now.handlersFinished) return false;
  if (closing === 'unknown' && state.known) return false;
  if (closing === 'settled' && !isSettled(state)) return false;
  return true;
}
