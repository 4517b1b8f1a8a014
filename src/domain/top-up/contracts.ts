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
