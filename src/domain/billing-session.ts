/** What a billing session (subscription checkout or billing portal) is asked for and answers; no I/O. */

/** A Stripe answer the gateway turns into problem details: 4xx (refused) or anything else (unreachable). */
export const STRIPE_REFUSED_FAILURE = 'BillingSessionStripeRefused';
export const STRIPE_UNREACHABLE_FAILURE = 'BillingSessionStripeUnreachable';

/** What a Stripe failure carries to the gateway (ApplicationFailure details[0]). */
export interface StripeFailureDetails {
  statusCode: number;
}

export interface SubscriptionCheckoutRequest {
  kind: 'subscription_checkout';
  tenantId: string;
  accountId: string;
  priceId: string;
  /** The wallet's Stripe customer if the gateway already knows it; otherwise it is created once per wallet. */
  knownCustomerId: string | null;
  successUrl: string;
  cancelUrl: string;
  /** Stripe idempotency key of the session; none without an Idempotency-Key header. */
  sessionIdempotencyKey: string | null;
  /** Stripe idempotency key of the customer creation (one per wallet). */
  customerIdempotencyKey: string;
}

export interface BillingPortalRequest {
  kind: 'billing_portal';
  tenantId: string;
  customerId: string;
  returnUrl: string;
}

export type BillingSessionRequest = SubscriptionCheckoutRequest | BillingPortalRequest;

export interface SubscriptionCheckoutResult {
  kind: 'subscription_checkout';
  checkoutSessionId: string;
  url: string | null;
  customerId: string;
}

export interface BillingPortalResult {
  kind: 'billing_portal';
  url: string;
}

export type BillingSessionResult = SubscriptionCheckoutResult | BillingPortalResult;
