import { ApplicationFailure } from '@temporalio/activity';
import { STRIPE_CLIENT_ERROR, STRIPE_TRANSIENT_ERROR } from '../src/domain/retry/error-types.js';
import { classifyStripeError, isTransientStripeFailure } from '../src/stripe/errors.js';

/**
 * Stripe answers 4xx for requests that will fail the same way again (bad parameters, auth, idempotency
 * mismatch); those become non-retryable. 409 lock timeouts, 429 and 5xx are transient and keep backing off.
 */
export async function callStripe<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = classifyStripeError(error);
    if (!failure) throw error;
    const message = `${operation} failed: ${(error as Error).message}`;
    const details = { type: failure.type, code: failure.code, statusCode: failure.statusCode, requestId: failure.requestId };
    if (!isTransientStripeFailure(failure)) throw ApplicationFailure.nonRetryable(message, STRIPE_CLIENT_ERROR, details);
    throw ApplicationFailure.retryable(message, STRIPE_TRANSIENT_ERROR, details);
  }
}
