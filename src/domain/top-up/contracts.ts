/** Contracts of the TopUp workflow, its activities and the webhook router. No runtime code. */

export type TopUpStatus = 'pending' | 'processing' | 'credited' | 'expired' | 'failed';

export type CheckoutSessionEventType =
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired';

/** The parts of a verified Stripe event the workflow needs; amounts are Stripe's, in minor units. */
export interface CheckoutSessionEvent {
  eventId: string;
  type: CheckoutSessionEventType;
  sessionId: string;
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  amountTotal: number;
  currency: string;
}

export interface CheckoutSessionSummary {
  id: string;
  url: string | null;
  /** Unix seconds. */
  expiresAt: number | null;
}

export interface CheckoutSessionSnapshot {
  sessionId: string;
  paymentStatus: CheckoutSessionEvent['paymentStatus'];
  amountTotal: number;
  currency: string;
}

export type TopUpPaymentIntentEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.processing'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled';

/** A PaymentIntent event carrying our top-up metadata (an Elements top-up's, or the one a top-up Checkout created). */
export interface TopUpPaymentIntentEvent {
  eventId: string;
  type: TopUpPaymentIntentEventType;
  paymentIntentId: string;
  status: string;
  /** Stripe's amount_received, in minor units: what a succeeded PaymentIntent credits. */
  amountReceived: number;
  currency: string;
}

/** What the TopUp workflow's inbox holds. */
export type TopUpEvent = CheckoutSessionEvent | TopUpPaymentIntentEvent;

/** An Elements top-up's PaymentIntent; the client_secret is only ever returned to the caller, never kept in state. */
export interface TopUpPaymentIntent {
  id: string;
  clientSecret: string;
}

export interface PaymentIntentSnapshot {
  paymentIntentId: string;
  status: string;
  amountReceived: number;
  currency: string;
}
