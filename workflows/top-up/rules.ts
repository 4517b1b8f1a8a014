import type { CheckoutSessionEvent, TopUpEvent, TopUpPaymentIntentEvent, TopUpStatus } from '../../src/domain/top-up/contracts.js';
import type { CreateCheckoutRequest, CreatePaymentIntentRequest, TopUpState } from './messages.js';

/** Checkout Sessions expire after 24 h; Stripe's expired event may lag, so we reconcile a little later. */
const CHECKOUT_WAIT_MS = 25 * 60 * 60 * 1000;
/** Delayed payment methods (bank debits) can take days to settle after checkout completes. */
const ASYNC_PAYMENT_WAIT_MS = 14 * 24 * 60 * 60 * 1000;

const TERMINAL: ReadonlySet<TopUpStatus> = new Set(['credited', 'expired', 'failed']);

export const isTerminal = (status: TopUpStatus): boolean => TERMINAL.has(status);

/** How long to wait for the next event before asking Stripe. */
export const eventWaitMs = (status: TopUpStatus): number => (status === 'processing' ? ASYNC_PAYMENT_WAIT_MS : CHECKOUT_WAIT_MS);

/** Why a Checkout Session may not be created now, or undefined. */
export function checkoutRequestRejection(
  state: Pick<TopUpState, 'status' | 'amount' | 'currency'>,
  request: CreateCheckoutRequest,
  startedWith?: 'checkout' | 'payment_intent',
): string | undefined {
  if (isTerminal(state.status)) return `top-up is already ${state.status}`;
  if (startedWith === 'payment_intent') return 'top-up was already started with a PaymentIntent';
  if (state.amount !== undefined && (state.amount !== request.amount || state.currency !== request.currency)) {
    return 'top-up was already created with a different amount or currency';
  }
  return undefined;
}

/** How a top-up is paid: a hosted Checkout Session or an Elements PaymentIntent, never both. */
export type TopUpMode = 'checkout' | 'payment_intent';

/** Why a PaymentIntent may not be created now, or undefined; `startedWith` is the mode already under way. */
export function paymentIntentRequestRejection(
  state: Pick<TopUpState, 'status' | 'amount' | 'currency'>,
  request: CreatePaymentIntentRequest,
  startedWith: TopUpMode | undefined,
): string | undefined {
  if (isTerminal(state.status)) return `top-up is already ${state.status}`;
  if (startedWith === 'checkout') return 'top-up was already started with a Checkout Session';
  if (state.amount !== undefined && (state.amount !== request.amount || state.currency !== request.currency)) {
    return 'top-up was already created with a different amount or currency';
  }
  return undefined;
}

export const isPaymentIntentEvent = (event: TopUpEvent): event is TopUpPaymentIntentEvent => 'paymentIntentId' in event;

export type PaymentIntentStep = 'credit' | 'await_async_payment' | 'failed' | 'ignore';

/**
 * What a PaymentIntent event does to a top-up that is not final yet. Money received credits whichever PaymentIntent
 * carried our metadata (Elements' or the one a top-up Checkout made); other states count only for the top-up's own
 * Elements PaymentIntent, and a failed attempt is not final (the customer may try another card).
 */
export function paymentIntentStepFor(event: Pick<TopUpPaymentIntentEvent, 'type' | 'paymentIntentId'>, ownPaymentIntentId: string | undefined): PaymentIntentStep {
  if (event.type === 'payment_intent.succeeded') return 'credit';
  if (event.paymentIntentId !== ownPaymentIntentId) return 'ignore';
  if (event.type === 'payment_intent.processing') return 'await_async_payment';
  if (event.type === 'payment_intent.canceled') return 'failed';
  return 'ignore';
}

export type TopUpStep = 'credit' | 'await_async_payment' | 'failed' | 'expired';

/** What a Checkout Session event does to a top-up that is not final yet. */
export function stepFor(event: Pick<CheckoutSessionEvent, 'type' | 'paymentStatus'>): TopUpStep {
  switch (event.type) {
    case 'checkout.session.completed':
      return event.paymentStatus === 'paid' || event.paymentStatus === 'no_payment_required' ? 'credit' : 'await_async_payment';
    case 'checkout.session.async_payment_succeeded':
      return 'credit';
    case 'checkout.session.async_payment_failed':
      return 'failed';
    case 'checkout.session.expired':
      return 'expired';
  }
}

/** No event came in time and Stripe does not say paid: a top-up waiting on an async payment failed, others expired. */
export const unpaidEnding = (status: TopUpStatus): 'expired' | 'failed' => (status === 'processing' ? 'failed' : 'expired');
