import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';

/**
 * Retry schedule passed in by whoever starts the workflow (from ACTIVITY_RETRY_BACKOFF), because workflow
 * code cannot read configuration. Intervals grow geometrically from the first to the last value.
 */
export interface RetrySchedule {
  intervalsMs: number[];
}

/** A PostgreSQL data exception (SQLSTATE class 22: a NUL byte, a value out of range, bad syntax for its type). */
export const DATABASE_DATA_ERROR = 'DatabaseDataError';
/** A PostgreSQL integrity constraint violation (class 23) other than the unique violations the code resolves. */
export const DATABASE_CONSTRAINT_ERROR = 'DatabaseConstraintError';
/** Input no code path can use: a RangeError, a value JSON cannot serialise. */
export const INVALID_INPUT_ERROR = 'InvalidInputError';

/** Errors that retrying cannot fix: Stripe 4xx answers, our own validation failures, deterministic database errors. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'StripeClientError',
  'ValidationError',
  'InsufficientBalanceError',
  'SourceKeyConflictError',
  DATABASE_DATA_ERROR,
  DATABASE_CONSTRAINT_ERROR,
  INVALID_INPUT_ERROR,
];

/**
 * How long one activity keeps backing off on transient errors (database or Stripe down) before it fails for good:
 * the workflow then fails visibly (Failed in the Temporal UI, with the last error) and an operator resets it.
 */
export const ACTIVITY_RETRY_LIMIT = '3 days';

export function retryPolicy(schedule: RetrySchedule): NonNullable<ActivityOptions['retry']> {
  const intervals = schedule.intervalsMs.length > 0 ? schedule.intervalsMs : [60_000];
  const first = intervals[0]!;
  const last = intervals[intervals.length - 1]!;
  const steps = Math.max(1, intervals.length - 1);
  const coefficient = last > first ? (last / first) ** (1 / steps) : 2;
  return {
    initialInterval: first,
    backoffCoefficient: Math.max(1, Number(coefficient.toFixed(3))),
    maximumInterval: last,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
}

export function activityOptions(schedule: RetrySchedule): ActivityOptions {
  return { startToCloseTimeout: '30 seconds', scheduleToCloseTimeout: ACTIVITY_RETRY_LIMIT, retry: retryPolicy(schedule) };
}

/**
 * `<type>: <message>` when an activity failed for good because of what it was given (a non-retryable
 * ApplicationFailure: a deterministic database error, a validation error, a Stripe 4xx), else undefined: a
 * cancellation, a timeout after the retry limit or anything else is not an input the workflow can skip.
 * Event loops log it as the event's outcome (`rejected: ...`) and carry on with the next event.
 */
export function rejectedInput(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (!cause.nonRetryable && error.retryState !== RetryState.NON_RETRYABLE_FAILURE) return undefined;
  return `${cause.type ?? 'Error'}: ${cause.message}`;
}
