import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES } from './error-types.js';

/**
 * Retry schedule passed in by whoever starts the workflow (from ACTIVITY_RETRY_BACKOFF), because workflow
 * code cannot read configuration. Intervals grow geometrically from the first to the last value.
 */
export interface RetrySchedule {
  intervalsMs: number[];
}

/**
 * How long one activity keeps backing off on transient errors (database or Stripe down) before it fails for good:
 * the workflow then fails visibly (Failed in the Temporal UI, with the last error) and an operator resets it.
 */
export const ACTIVITY_RETRY_LIMIT = '3 days';

export function retryPolicy(schedule: RetrySchedule): RetryPolicy {
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
