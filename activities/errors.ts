import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';

/**
 * Stripe answers 4xx for requests that will fail the same way again (bad parameters, auth, idempotency
 * mismatch); those become non-retryable. 409 lock timeouts, 429 and 5xx are transient and keep backing off.
 */
export async function callStripe<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      const status = error.statusCode ?? 0;
      const transient = status === 0 || status === 409 || status === 429 || status >= 500;
      const message = `${operation} failed: ${error.message}`;
      const details = { type: error.type, code: error.code, statusCode: status, requestId: error.requestId };
      if (!transient) throw ApplicationFailure.nonRetryable(message, 'StripeClientError', details);
      throw ApplicationFailure.retryable(message, 'StripeTransientError', details);
    }
    throw error;
  }
}
