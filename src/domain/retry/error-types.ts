/**
 * ApplicationFailure types the activities end with, and which of them retrying cannot fix. Workflows pass
 * NON_RETRYABLE_ERROR_TYPES in every activity's retry policy; the gateway maps some of them to HTTP answers.
 */

/** Stripe answered 4xx: the same request fails the same way again. */
export const STRIPE_CLIENT_ERROR = 'StripeClientError';
/** Stripe unreachable, timed out, 409 lock timeout, 429 or 5xx: retried with back-off. */
export const STRIPE_TRANSIENT_ERROR = 'StripeTransientError';
/** A PostgreSQL data exception (SQLSTATE class 22: a NUL byte, a value out of range, bad syntax for its type). */
export const DATABASE_DATA_ERROR = 'DatabaseDataError';
/** A PostgreSQL integrity constraint violation (class 23) other than the unique violations the code resolves. */
export const DATABASE_CONSTRAINT_ERROR = 'DatabaseConstraintError';
/** Input no code path can use: a RangeError, a value JSON cannot serialise. */
export const INVALID_INPUT_ERROR = 'InvalidInputError';

/** Errors that retrying cannot fix: Stripe 4xx answers, our own validation failures, deterministic database errors. */
export const NON_RETRYABLE_ERROR_TYPES = [
  STRIPE_CLIENT_ERROR,
  'ValidationError',
  'InsufficientBalanceError',
  'SourceKeyConflictError',
  DATABASE_DATA_ERROR,
  DATABASE_CONSTRAINT_ERROR,
  INVALID_INPUT_ERROR,
];
