/**
 * The one classification of Stripe SDK errors. Activities turn it into retryable or non-retryable failures
 * (activities/errors.ts); the gateway turns an outage into 503 stripe_unavailable (src/gateway/upstream.ts).
 */
import Stripe from 'stripe';

/**
 * - unreachable: no HTTP answer (connection error, timeout: the SDK sets no status);
 * - lock_timeout: 409, another request holds the object's lock;
 * - rate_limited: 429; server_error: 5xx;
 * - refused: any other 4xx: bad parameters, auth, idempotency mismatch; the same request fails the same way again.
 */
export type StripeFailureKind = 'unreachable' | 'lock_timeout' | 'rate_limited' | 'server_error' | 'refused';

export interface StripeFailure {
  kind: StripeFailureKind;
  /** 0 when Stripe gave no HTTP answer. */
  statusCode: number;
  type: string;
  code: string | undefined;
  requestId: string | undefined;
}

function kindOf(statusCode: number): StripeFailureKind {
  if (statusCode === 0) return 'unreachable';
  if (statusCode === 409) return 'lock_timeout';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'server_error';
  return 'refused';
}

/** The failure behind a Stripe SDK error, or undefined for anything that is not one. */
export function classifyStripeError(error: unknown): StripeFailure | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  const statusCode = error.statusCode ?? 0;
  return { kind: kindOf(statusCode), statusCode, type: error.type, code: error.code, requestId: error.requestId };
}

/** Worth retrying with back-off: everything but a refusal. */
export function isTransientStripeFailure(failure: StripeFailure): boolean {
  return failure.kind !== 'refused';
}

/** Stripe itself is down or overloaded. A lock timeout is not: the object is busy, Stripe answers. */
export function isStripeOutage(failure: StripeFailure): boolean {
  return failure.kind === 'unreachable' || failure.kind === 'rate_limited' || failure.kind === 'server_error';
}
