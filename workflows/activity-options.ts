import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Retry schedule passed in by whoever starts the workflow (from ACTIVITY_RETRY_BACKOFF), because workflow
 * code cannot read configuration. Intervals grow geometrically from the first to the last value.
 */
export interface RetrySchedule {
  intervalsMs: number[];
}

/** Errors that retrying cannot fix: Stripe 4xx answers and our own validation failures. */
export const NON_RETRYABLE_ERROR_TYPES = [
  'StripeClientError',
  'ValidationError',
  'InsufficientBalanceError',
  'SourceKeyConflictError',
];

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
  return { startToCloseTimeout: '30 seconds', retry: retryPolicy(schedule) };
}
