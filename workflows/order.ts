import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../activities/excess-payments.js';
import type { RecoveryHookActivities } from '../activities/recovery-hooks.js';
import type { OrderActivities } from '../activities/order.js';
import type {
  OrderStatus,
  OrderStripeEvent,
  PaymentIntentSnapshot,
  PaymentIntentSummary,
  RefundReason,
  RefundSnapshot,
  RefundStatus,
  RefundSummary,
} from '../activities/order-types.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { CustomerIdKey, StatusKey, TenantIdKey } from './search-attributes.js';

export interface OrderInput {
  tenantId: string;
  orderId: string;
  /** 'api' when started by a REST call (may create the order); 'webhook' when an event (re)opens it. */
  origin: 'api' | 'webhook';
  retry: RetrySchedule;
  /** State carried over by continue-as-new. */
  carried?: OrderState;
}

export interface CreatePaymentIntentRequest {
  amount: number;
  currency: string;
  receiptEmail?: string;
  description?: string;
  customerId?: string;
}

export interface RefundRequest {
  requestKey: string;
  /** Defaults to the whole remaining amount. */
  amount?: number;
  reason: RefundReason;
  note?: string;
  /** When given, must be the PaymentIntent that paid the order. */
  paymentIntentId?: string;
}

export type AttemptStatus = 'open' | 'requires_action' | 'processing' | 'failed' | 'canceled' | 'succeeded';

export interface OrderAttemptState {
  attempt: number;
  /** For a Checkout Session attempt whose PaymentIntent is not known yet, the `pending:<session id>` placeholder. */
  paymentIntentId: string;
  /** Set for an attempt paid through a Stripe Checkout Session (the order's recovery instrument). */
  checkout?: OrderCheckoutAttempt;
  clientSecret?: string;
  status: AttemptStatus;
  amount: number;
  currency: string;
  amountReceived?: number;
  failureMessage?: string;
}

export interface OrderCheckoutAttempt {
  sessionId: string;
  /** null when the attempt was loaded from PostgreSQL (the URL is not stored there). */
  url: string | null;
  expiresAtMs: number | null;
  /** True until a payment_intent event naming this attempt (metadata.attempt) binds its PaymentIntent. */
  awaitingPaymentIntent: boolean;
}

export type OrderRefundState = Omit<RefundSummary, 'replayed'>;

export interface OrderState {
  tenantId: string;
  orderId: string;
  known: boolean;
  customerId?: string;
  receiptEmail?: string;
  description?: string;
  amount?: number;
  currency?: string;
  status: OrderStatus;
  attempts: OrderAttemptState[];
  /** The PaymentIntent that paid the order. */
  paymentIntentId?: string;
  /** Stripe's amount_received, in minor units of `currency`. */
  capturedAmount: number;
  refunds: OrderRefundState[];
  /** charge.amount_refunded from Stripe's last charge.refunded event, for comparison. */
  stripeAmountRefunded?: number;
  seenEventIds: string[];
  eventLog: Array<{ eventId: string; type: string; outcome: string }>;
}

export interface OrderView {
  status: OrderStatus;
  capturedAmount: number;
  refundedAmount: number;
  remainingRefundable: number;
  paymentIntentId?: string;
  currency?: string;
}

export const createPaymentIntentUpdate = defineUpdate<PaymentIntentSummary, [CreatePaymentIntentRequest]>('createPaymentIntent');
export const confirmPaymentUpdate = defineUpdate<OrderView, []>('confirmPayment');
export const refundUpdate = defineUpdate<RefundSummary, [RefundRequest]>('refund');
/** The order's own way to be paid, for a recovery campaign: an open Checkout Session attempt, or settled. */
export interface OrderRecoveryCheckout {
  settled: boolean;
  url: string | null;
  checkoutSessionId: string | null;
  expiresAtMs: number | null;
}
export const openRecoveryCheckoutUpdate = defineUpdate<OrderRecoveryCheckout, [{ successUrl: string; cancelUrl: string }]>('openRecoveryCheckout');
export const orderStripeEventSignal = defineSignal<[OrderStripeEvent]>('stripeEvent');
export const orderStateQuery = defineQuery<OrderState>('state');

const DAY_MS = 24 * 60 * 60 * 1000;
/** A paid order stays open for refunds; after this long without any activity it closes (a later event reopens it). */
const PAID_IDLE_MS = 180 * DAY_MS;
/** An unpaid order is reconciled with Stripe and closed after this long without activity. */
const UNPAID_IDLE_MS = 7 * DAY_MS;
const EVENT_LOG_LIMIT = 100;
const SEEN_EVENT_LIMIT = 500;
/** Order histories from before recovery campaigns existed replay without the notification. */
const RECOVERY_CAMPAIGNS_PATCH = 'order-recovery-campaigns';
/** charge.refunded recomputes the stored refunded total and status; older histories only noted Stripe's amount. */
const REFUND_RECONCILE_PATCH = 'order-refund-reconcile';
/** A second payment of a paid order is refunded in full (histories from before only logged it). */
const EXCESS_REFUND_PATCH = 'order-excess-refund';
/** A refund of a PaymentIntent that did not pay the order is not recorded as the order's refund (before: it was). */
const FOREIGN_REFUND_PATCH = 'order-foreign-refund-ignored';
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const ORDER_REJECTED_INPUT_PATCH = 'order-rejected-input';

const PAID: ReadonlySet<OrderStatus> = new Set(['paid', 'partially_refunded', 'refunded']);
const ACTIVE_REFUND: ReadonlySet<RefundStatus> = new Set(['pending', 'requires_action', 'succeeded']);
const CLOSED_ATTEMPT: ReadonlySet<AttemptStatus> = new Set(['failed', 'canceled', 'succeeded']);
const REFUND_STATUSES: ReadonlySet<string> = new Set(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']);

const toRefundStatus = (status: string): RefundStatus => (REFUND_STATUSES.has(status) ? (status as RefundStatus) : 'pending');

function rejection(type: string, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

/** The message and type of whatever an activity failed with, for the caller. */
function describeFailure(error: unknown): { message: string; type?: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof ApplicationFailure) return { message: current.message, type: current.type ?? undefined };
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const acts = proxyActivities<OrderActivities>(activityOptions(input.retry));
  const recovery = proxyActivities<RecoveryHookActivities>(activityOptions(input.retry));
  const excess = proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry));
  const state: OrderState = input.carried ?? {
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
  const pending: OrderStripeEvent[] = [];
  const refundsInFlight = new Map<string, Promise<RefundSummary>>();
  let hydrated = input.carried !== undefined;
  let creatingAttempt: Promise<PaymentIntentSummary> | undefined;
  let openingCheckout: Promise<OrderRecoveryCheckout> | undefined;
  /** The attempt whose PaymentIntent is being canceled to make way for a Checkout Session attempt. */
  let retiringAttempt: number | undefined;
  let touches = 0;

  const activeRefundTotal = () => state.refunds.filter((r) => ACTIVE_REFUND.has(r.status)).reduce((sum, r) => sum + r.amount, 0);
  const refundedAmount = () => state.refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
  const remaining = () => state.capturedAmount - activeRefundTotal();
  const currentAttempt = () => state.attempts[state.attempts.length - 1];
  const view = (): OrderView => ({
    status: state.status,
    capturedAmount: state.capturedAmount,
    refundedAmount: refundedAmount(),
    remainingRefundable: PAID.has(state.status) ? remaining() : 0,
    paymentIntentId: state.paymentIntentId,
    currency: state.currency,
  });

  function setStatus(status: OrderStatus): void {
    state.status = status;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: status },
      // Search attributes are stored unencrypted: an id only, never an email; one an older run wrote is cleared.
      ...(state.customerId ? [{ key: CustomerIdKey, value: state.customerId.includes('@') ? null : state.customerId }] : []),
    ]);
  }

  /** Paid orders move between paid / partially_refunded / refunded by their succeeded refunds. */
  function refreshRefundStatus(): void {
    if (!PAID.has(state.status)) return;
    const refunded = refundedAmount();
    const next: OrderStatus = refunded === 0 ? 'paid' : refunded >= state.capturedAmount ? 'refunded' : 'partially_refunded';
    if (next !== state.status) setStatus(next);
  }

  setHandler(orderStateQuery, () => state);
  setHandler(orderStripeEventSignal, (event) => {
    if (state.seenEventIds.includes(event.eventId) || pending.some((queued) => queued.eventId === event.eventId)) {
      log.info('duplicate Stripe event ignored', { eventId: event.eventId });
      return;
    }
    pending.push(event);
  });

  // ---- PaymentIntents: one per attempt -------------------------------------------------------------------

  function paymentIntentRejection(request: CreatePaymentIntentRequest): ApplicationFailure | undefined {
    if (PAID.has(state.status)) return rejection('order_already_paid', `order ${state.orderId} is already ${state.status}`);
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) return rejection('invalid_amount', 'amount must be a positive integer');
    if (state.amount !== undefined && (state.amount !== request.amount || state.currency !== request.currency)) {
      return rejection('order_amount_mismatch', `order ${state.orderId} was created for ${state.amount} ${state.currency}`);
    }
    return undefined;
  }

  async function createAttempt(request: CreatePaymentIntentRequest): Promise<PaymentIntentSummary> {
    const open = currentAttempt();
    if (open?.checkout && open.status !== 'succeeded' && open.status !== 'canceled') {
      // A recovery Checkout Session is open: it stops taking payments before a PaymentIntent attempt replaces it.
      await closeCheckoutAttempt(open);
    }
    if (open && !CLOSED_ATTEMPT.has(open.status)) {
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
    await acts.recordOrder({
      tenantId: state.tenantId,
      orderId: state.orderId,
      customerId: state.customerId,
      receiptEmail: state.receiptEmail,
      description: state.description,
      amount: request.amount,
      currency: request.currency,
    });
    state.known = true;
    const attempt = (open?.attempt ?? 0) + 1;
    const summary = await acts.createPaymentIntent({
      tenantId: state.tenantId,
      orderId: state.orderId,
      attempt,
      amount: request.amount,
      currency: request.currency,
      receiptEmail: request.receiptEmail,
      description: request.description,
    });
    state.attempts.push({
      attempt,
      paymentIntentId: summary.id,
      clientSecret: summary.clientSecret,
      status: 'open',
      amount: request.amount,
      currency: request.currency,
    });
    if (!PAID.has(state.status)) setStatus('pending');
    return { ...summary, status: 'open' };
  }

  setHandler(
    createPaymentIntentUpdate,
    async (request) => {
      touches++;
      await condition(() => hydrated);
      const rejected = paymentIntentRejection(request);
      if (rejected) throw rejected;
      if (openingCheckout) {
        // One attempt at a time: a Checkout Session attempt being opened comes first.
        await condition(() => openingCheckout === undefined);
        const now = paymentIntentRejection(request);
        if (now) throw now;
      }
      creatingAttempt ??= createAttempt(request).finally(() => {
        creatingAttempt = undefined;
      });
      try {
        return await creatingAttempt;
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        const failure = describeFailure(error);
        throw rejection(failure.type === 'StripeClientError' ? 'stripe_error' : 'payment_intent_failed', failure.message);
      }
    },
    {
      validator: (request) => {
        if (!hydrated) return;
        const rejected = paymentIntentRejection(request);
        if (rejected) throw rejected;
      },
    },
  );

  setHandler(confirmPaymentUpdate, async () => {
    touches++;
    await condition(() => hydrated);
    const attempt = currentAttempt();
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
      if (!found) return view();
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
    pending.push({ eventId, kind: 'payment_intent', type: 'reconcile', ...intent, ...named });
    await condition(() => state.eventLog.some((entry) => entry.eventId === eventId));
    return view();
  });

  // ---- Recovery instrument: a Checkout Session attempt ------------------------------------------------------

  const settledCheckout: OrderRecoveryCheckout = { settled: true, url: null, checkoutSessionId: null, expiresAtMs: null };
  const isSettledForRecovery = () => PAID.has(state.status) || state.status === 'canceled';

  /** A Checkout Session attempt being replaced: it stops taking payments (best effort) and is closed. */
  async function closeCheckoutAttempt(attempt: OrderAttemptState): Promise<void> {
    const checkout = attempt.checkout!;
    try {
      await acts.expireOrderCheckoutSession({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, checkoutSessionId: checkout.sessionId });
    } catch (error) {
      // Expired or completed already: a payment through it still finds its attempt, and a second one is refunded.
      log.warn('could not expire the Checkout Session before a new attempt', { attempt: attempt.attempt, error: describeFailure(error).message });
    }
    if (attempt.status === 'succeeded' || attempt.status === 'canceled') return;
    attempt.status = 'canceled';
    await acts.recordPaymentResult({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, status: 'canceled', orderStatus: state.status });
  }

  /**
   * An open PaymentIntent attempt (nobody is paying it: requires_payment_method) is canceled before a Checkout
   * Session attempt replaces it, so the order cannot be paid twice. One that is requires_action or processing is
   * left alone (the customer is paying right now); if both succeed, the second payment is refunded.
   */
  async function retireAttempt(attempt: OrderAttemptState): Promise<void> {
    retiringAttempt = attempt.attempt;
    try {
      await acts.cancelPaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, paymentIntentId: attempt.paymentIntentId });
    } catch (error) {
      log.warn('could not cancel the open attempt before a Checkout Session attempt', { attempt: attempt.attempt, error: describeFailure(error).message });
      return;
    } finally {
      retiringAttempt = undefined;
    }
    if (attempt.status === 'succeeded' || attempt.status === 'canceled') return;
    attempt.status = 'canceled';
    await acts.recordPaymentResult({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, status: 'canceled', orderStatus: state.status });
  }

  async function openCheckout(request: { successUrl: string; cancelUrl: string }): Promise<OrderRecoveryCheckout> {
    const current = currentAttempt();
    const reusable = current?.checkout && current.status !== 'succeeded' && current.status !== 'canceled' ? current : undefined;
    if (current && !current.checkout && (current.status === 'open' || current.status === 'failed')) await retireAttempt(current);
    if (isSettledForRecovery()) return settledCheckout;
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
      if (!PAID.has(state.status)) setStatus('pending');
    }
    if (isSettledForRecovery()) return settledCheckout;
    return { settled: false, url: result.url, checkoutSessionId: result.checkoutSessionId, expiresAtMs: result.expiresAtMs };
  }

  setHandler(
    openRecoveryCheckoutUpdate,
    async (request) => {
      touches++;
      await condition(() => hydrated);
      if (isSettledForRecovery()) return settledCheckout;
      if (!state.known || state.amount === undefined || state.currency === undefined) {
        throw rejection('order_unknown', `order ${state.orderId} was never created`);
      }
      // One attempt at a time: a PaymentIntent attempt being created comes first.
      await condition(() => creatingAttempt === undefined);
      if (isSettledForRecovery()) return settledCheckout;
      openingCheckout ??= openCheckout(request).finally(() => {
        openingCheckout = undefined;
      });
      try {
        return await openingCheckout;
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        const failure = describeFailure(error);
        throw rejection(failure.type === 'StripeClientError' ? 'stripe_error' : 'checkout_failed', failure.message);
      }
    },
    {
      validator: (request) => {
        if (!request?.successUrl || !request?.cancelUrl) throw rejection('invalid_request', 'successUrl and cancelUrl are required');
      },
    },
  );

  // ---- Refunds ---------------------------------------------------------------------------------------------

  function refundRejection(request: RefundRequest): ApplicationFailure | undefined {
    if (state.refunds.some((refund) => refund.requestKey === request.requestKey)) return undefined; // a replay
    if (!PAID.has(state.status) || state.capturedAmount <= 0 || !state.paymentIntentId) {
      return rejection('payment_not_refundable', `order ${state.orderId} is ${state.status}, not paid`);
    }
    if (request.paymentIntentId !== undefined && request.paymentIntentId !== state.paymentIntentId) {
      return rejection('payment_not_refundable', `PaymentIntent ${request.paymentIntentId} did not pay order ${state.orderId}`);
    }
    const left = remaining();
    const amount = request.amount ?? left;
    if (request.amount !== undefined && (!Number.isSafeInteger(request.amount) || request.amount <= 0)) {
      return rejection('invalid_amount', 'amount must be a positive integer');
    }
    if (left <= 0 || amount > left) {
      return rejection('refund_exceeds_remaining', `refund of ${amount} exceeds the remaining refundable ${Math.max(left, 0)}`, {
        remaining: Math.max(left, 0),
        requested: amount,
        captured: state.capturedAmount,
      });
    }
    return undefined;
  }

  async function replayRefund(requestKey: string): Promise<RefundSummary> {
    const inFlight = refundsInFlight.get(requestKey);
    if (inFlight) return { ...(await inFlight), replayed: true };
    const existing = state.refunds.find((refund) => refund.requestKey === requestKey)!;
    if (existing.status === 'failed' && !existing.stripeRefundId) {
      throw rejection('refund_failed', existing.failureReason ?? 'the refund failed', { refund: existing });
    }
    return { ...existing, replayed: true };
  }

  async function performRefund(entry: OrderRefundState): Promise<RefundSummary> {
    try {
      const result = await acts.createRefund({
        tenantId: state.tenantId,
        orderId: state.orderId,
        refundRequestId: entry.id,
        requestKey: entry.requestKey,
        paymentIntentId: entry.paymentIntentId,
        amount: entry.amount,
        currency: entry.currency,
        reason: entry.reason,
        note: entry.note,
      });
      entry.stripeRefundId ??= result.stripeRefundId;
      // A refund.* event may have moved it meanwhile; only the reservation's own 'pending' is overwritten.
      if (entry.status === 'pending') {
        entry.status = result.status;
        if (result.failureReason) entry.failureReason = result.failureReason;
      }
      refreshRefundStatus();
      return { ...entry };
    } catch (error) {
      // Release the reservation and surface the failure to the caller.
      const failure = describeFailure(error);
      entry.status = 'failed';
      entry.failureReason = failure.message;
      log.warn('refund failed', { orderId: state.orderId, refundId: entry.id, error: failure.message });
      if (failure.type === 'RefundExceedsCapturedError') {
        throw rejection('refund_exceeds_remaining', failure.message, { refund: { ...entry } });
      }
      throw rejection('refund_failed', failure.message, { refund: { ...entry } });
    }
  }

  setHandler(
    refundUpdate,
    async (request) => {
      touches++;
      await condition(() => hydrated);
      if (state.refunds.some((refund) => refund.requestKey === request.requestKey)) return replayRefund(request.requestKey);
      const rejected = refundRejection(request);
      if (rejected) throw rejected;
      // Reserve synchronously, before any await, so concurrent refund updates see this amount as taken.
      const entry: OrderRefundState = {
        id: `rf_${uuid4().replaceAll('-', '')}`,
        requestKey: request.requestKey,
        paymentIntentId: state.paymentIntentId!,
        amount: request.amount ?? remaining(),
        currency: state.currency ?? '',
        reason: request.reason,
        ...(request.note ? { note: request.note } : {}),
        status: 'pending',
      };
      state.refunds.push(entry);
      const work = performRefund(entry);
      refundsInFlight.set(request.requestKey, work);
      try {
        return await work;
      } finally {
        refundsInFlight.delete(request.requestKey);
      }
    },
    {
      validator: (request) => {
        if (!request.requestKey) throw rejection('invalid_request', 'requestKey is required');
        if (!hydrated) return;
        const rejected = refundRejection(request);
        if (rejected) throw rejected;
      },
    },
  );

  // ---- Stripe events -----------------------------------------------------------------------------------------

  function attemptStatusFrom(event: Extract<OrderStripeEvent, { kind: 'payment_intent' }>): AttemptStatus | undefined {
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

  /** The Checkout Session attempt a PaymentIntent's metadata.attempt names, while it waits for its PaymentIntent. */
  const awaitingCheckoutAttempt = (event: Extract<OrderStripeEvent, { kind: 'payment_intent' }>): OrderAttemptState | undefined =>
    event.attempt === undefined
      ? undefined
      : state.attempts.find((candidate) => candidate.attempt === event.attempt && candidate.checkout?.awaitingPaymentIntent === true);

  /**
   * A Checkout Session attempt learns its PaymentIntent from the first payment_intent event whose metadata.attempt
   * names it (the webhook router only routes events whose metadata names this order); then the event applies as usual.
   */
  async function bindAndApply(attempt: OrderAttemptState, event: Extract<OrderStripeEvent, { kind: 'payment_intent' }>): Promise<string> {
    attempt.paymentIntentId = event.paymentIntentId;
    attempt.checkout!.awaitingPaymentIntent = false;
    await acts.bindCheckoutPaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, attempt: attempt.attempt, paymentIntentId: event.paymentIntentId });
    return `bound to checkout attempt ${attempt.attempt}; ${await applyPaymentIntent(event)}`;
  }

  /** Money that arrived for an order already paid goes back in full, once per PaymentIntent. */
  async function refundExcess(event: Extract<OrderStripeEvent, { kind: 'payment_intent' }>, currency: string): Promise<string> {
    const paidBy = state.paymentIntentId;
    try {
      const record = await excess.refundExcessPayment({
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

  async function applyPaymentIntent(event: Extract<OrderStripeEvent, { kind: 'payment_intent' }>): Promise<string> {
    const attempt = [...state.attempts].reverse().find((candidate) => candidate.paymentIntentId === event.paymentIntentId);
    if (!attempt) {
      const awaiting = awaitingCheckoutAttempt(event);
      if (awaiting) return bindAndApply(awaiting, event);
      return 'ignored: PaymentIntent is not an attempt of this order';
    }
    const next = attemptStatusFrom(event);
    if (!next) return `no change (PaymentIntent is ${event.status})`;
    if (attempt.status === 'succeeded' || (attempt.status === 'canceled' && next !== 'succeeded')) {
      return `ignored: attempt already ${attempt.status}`;
    }
    if (next === attempt.status) return 'no change';
    if (next === 'succeeded') {
      attempt.status = 'succeeded';
      attempt.amountReceived = event.amountReceived;
      if (PAID.has(state.status)) {
        log.warn('a second attempt was paid; it needs a refund', { orderId: state.orderId, paymentIntentId: event.paymentIntentId });
        await acts.recordPaymentResult({
          tenantId: state.tenantId,
          orderId: state.orderId,
          attempt: attempt.attempt,
          status: 'succeeded',
          amountReceived: event.amountReceived,
          orderStatus: state.status,
        });
        if (patched(EXCESS_REFUND_PATCH)) return refundExcess(event, attempt.currency);
        return `ignored: order already paid by ${state.paymentIntentId}; ${event.paymentIntentId} needs a refund`;
      }
      // Stripe's amount_received is what was captured, whatever the client asked for.
      state.capturedAmount = event.amountReceived;
      state.paymentIntentId = event.paymentIntentId;
      if (event.currency && state.currency && event.currency !== state.currency) {
        log.warn('PaymentIntent currency differs from the order', { order: state.currency, stripe: event.currency });
      }
      setStatus('paid');
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
        await recovery.notifyItemPaid({
          tenantId: state.tenantId,
          item: { kind: 'order', ref: state.orderId },
          via: 'order',
          amount: event.amountReceived,
          reference: event.paymentIntentId,
        });
      }
      return `paid ${event.amountReceived}`;
    }
    attempt.status = next;
    if (event.failureMessage) attempt.failureMessage = event.failureMessage;
    // An attempt being replaced by a Checkout Session attempt no longer moves the order.
    const isCurrent = attempt === currentAttempt() && attempt.attempt !== retiringAttempt;
    const orderStatus: OrderStatus = attempt.attempt === retiringAttempt ? state.status : next === 'open' ? 'pending' : next;
    if (isCurrent && !PAID.has(state.status)) setStatus(orderStatus);
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

  async function applyRefund(snapshot: RefundSnapshot): Promise<string> {
    const status = toRefundStatus(snapshot.status);
    const entry = state.refunds.find(
      (refund) => (snapshot.refundRequestId !== undefined && refund.id === snapshot.refundRequestId) || refund.stripeRefundId === snapshot.refundId,
    );
    if (entry) {
      if (entry.status === status) {
        entry.stripeRefundId ??= snapshot.refundId;
        return 'no change';
      }
      if (entry.status === 'succeeded' && (status === 'pending' || status === 'requires_action')) return 'ignored: stale refund status';
      if ((entry.status === 'failed' || entry.status === 'canceled') && ACTIVE_REFUND.has(status)) return `ignored: refund already ${entry.status}`;
      entry.status = status;
      entry.stripeRefundId ??= snapshot.refundId;
      if (snapshot.failureReason) entry.failureReason = snapshot.failureReason;
      refreshRefundStatus();
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
    if (!PAID.has(state.status) || !ACTIVE_REFUND.has(status)) return `ignored: unknown refund ${snapshot.refundId} (${status})`;
    if (
      snapshot.paymentIntentId !== undefined &&
      snapshot.paymentIntentId !== state.paymentIntentId &&
      patched(FOREIGN_REFUND_PATCH)
    ) {
      // A refund of another attempt's PaymentIntent (an excess payment) takes nothing from what paid the order.
      return `ignored: refund ${snapshot.refundId} is of ${snapshot.paymentIntentId}, not of ${state.paymentIntentId}`;
    }
    if (snapshot.amount > remaining()) {
      log.warn('external refund exceeds what this order has left; not recorded', { refundId: snapshot.refundId, amount: snapshot.amount });
      return `ignored: external refund ${snapshot.refundId} exceeds remaining ${remaining()}`;
    }
    const external: OrderRefundState = {
      id: `rf_${uuid4().replaceAll('-', '')}`,
      requestKey: `stripe:${snapshot.refundId}`,
      paymentIntentId: state.paymentIntentId!,
      amount: snapshot.amount,
      currency: state.currency ?? snapshot.currency,
      reason: 'other',
      note: 'created outside this API',
      status,
      stripeRefundId: snapshot.refundId,
    };
    state.refunds.push(external);
    refreshRefundStatus();
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

  async function apply(event: OrderStripeEvent): Promise<string> {
    switch (event.kind) {
      case 'payment_intent':
        return applyPaymentIntent(event);
      case 'refund':
        return applyRefund(event);
      case 'charge_refunded': {
        state.stripeAmountRefunded = event.amountRefunded;
        const outcomes: string[] = [];
        for (const refund of event.refunds ?? []) outcomes.push(await applyRefund(refund));
        const ours = event.paymentIntentId === undefined || event.paymentIntentId === state.paymentIntentId;
        if (ours && state.known && patched(REFUND_RECONCILE_PATCH)) {
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

  /** Marked seen before it is applied, so a redelivery arriving while it is being applied is dropped. */
  function markSeen(event: OrderStripeEvent): void {
    state.seenEventIds.push(event.eventId);
    if (state.seenEventIds.length > SEEN_EVENT_LIMIT) state.seenEventIds.shift();
  }

  function logEvent(event: OrderStripeEvent, outcome: string): void {
    state.eventLog.push({ eventId: event.eventId, type: event.type, outcome });
    if (state.eventLog.length > EVENT_LOG_LIMIT) state.eventLog.shift();
  }

  /** `rejected: <type>: <message>` for an event an activity refused for good; rethrows anything else. */
  function rejectedOutcome(event: OrderStripeEvent, error: unknown): string {
    const rejected = rejectedInput(error);
    if (rejected === undefined || !patched(ORDER_REJECTED_INPUT_PATCH)) throw error;
    log.warn('order event rejected', { orderId: state.orderId, eventId: event.eventId, type: event.type, rejected });
    return `rejected: ${rejected}`;
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const event = pending.shift()!;
      markSeen(event);
      let outcome = 'ignored: unknown order';
      try {
        if (state.known) outcome = await apply(event);
      } catch (error) {
        outcome = rejectedOutcome(event, error);
      }
      logEvent(event, outcome);
    }
  }

  /** No activity for a long time on an unpaid order: ask Stripe about the open attempt rather than assume. */
  async function reconcile(): Promise<void> {
    const attempt = currentAttempt();
    if (PAID.has(state.status) || !attempt || CLOSED_ATTEMPT.has(attempt.status)) return;
    let intent: PaymentIntentSnapshot;
    let named: { attempt: number } | Record<string, never> = {};
    if (attempt.checkout?.awaitingPaymentIntent) {
      const session = await acts.retrieveOrderCheckoutSession({ tenantId: state.tenantId, orderId: state.orderId, checkoutSessionId: attempt.checkout.sessionId });
      if (!session.paymentIntent) return; // never paid (or tried); an expired session takes no payment
      intent = session.paymentIntent;
      named = { attempt: attempt.attempt };
    } else {
      intent = await acts.retrievePaymentIntent({ tenantId: state.tenantId, orderId: state.orderId, paymentIntentId: attempt.paymentIntentId });
    }
    const event: OrderStripeEvent = { eventId: `reconcile:${uuid4()}`, kind: 'payment_intent', type: 'reconcile', ...intent, ...named };
    markSeen(event);
    let outcome: string;
    try {
      outcome = await apply(event);
    } catch (error) {
      outcome = rejectedOutcome(event, error);
    }
    logEvent(event, outcome);
  }

  // ---- Start: load what PostgreSQL knows (a reopened or new order) ------------------------------------------

  if (!hydrated) {
    const known = await acts.loadOrder({ tenantId: input.tenantId, orderId: input.orderId });
    if (known) {
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
        status: (['open', 'requires_action', 'processing', 'failed', 'canceled', 'succeeded'].includes(attempt.status)
          ? attempt.status
          : 'open') as AttemptStatus,
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
    hydrated = true;
  }
  if (state.known || input.origin === 'api') setStatus(state.status);

  const settled = () => state.status === 'refunded' && state.refunds.every((refund) => refund.status !== 'pending' && refund.status !== 'requires_action');

  for (;;) {
    let closing: 'unknown' | 'idle' | 'settled' = 'idle';
    if (!state.known && input.origin === 'webhook') {
      // Only orders created through our API are tracked; events for anything else are logged and dropped.
      await condition(() => pending.length > 0 || state.known, DAY_MS);
      await drain();
      closing = 'unknown';
    } else {
      let seenTouches = touches;
      for (;;) {
        const idleMs = PAID.has(state.status) ? PAID_IDLE_MS : UNPAID_IDLE_MS;
        const woke = await condition(() => pending.length > 0 || touches !== seenTouches || (settled() && refundsInFlight.size === 0), idleMs);
        seenTouches = touches;
        if (!woke) {
          await reconcile();
          break;
        }
        await drain();
        if (settled() && refundsInFlight.size === 0) {
          closing = 'settled';
          break;
        }
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await drain();
          await continueAsNew<typeof orderWorkflow>({ ...input, origin: 'webhook', carried: state });
        }
      }
    }
    // Let in-flight updates finish; anything that arrived meanwhile keeps the order open.
    await condition(() => allHandlersFinished() || pending.length > 0);
    if (pending.length > 0 || !allHandlersFinished()) continue;
    if (closing === 'unknown' && state.known) continue;
    if (closing === 'settled' && !settled()) continue;
    break;
  }
  return state;
}
