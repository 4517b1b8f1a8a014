import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES } from './error-types.js';

/**
 * Retry schedule passed in by whoever starts the workflow (from ACTIVITY_RETRY_BACKOFF), because workflow
 * code cannot read configuration. Intervals grow geometrically from the first to the last value.
 */
export interface RetrySchedule {
  intervalsMs: number[];
  /** ACTIVITY_RETRY_MAX_ELAPSED; absent in workflows started before it existed (then ACTIVITY_RETRY_LIMIT). */
  maxElapsedMs?: number;
}

/**
 * How long one activity keeps backing off on transient errors (database or Stripe down) by default before its
 * workflow stops and waits for an operator (workflows/shared/attention.ts): NeedsAttention in the Temporal UI and
 * GET /v1/admin/attention, then a retry or skip.
 */
export const ACTIVITY_RETRY_LIMIT = '3 days';

/** The schedule-to-close timeout of one activity: its retries end there. */
export function retryLimit(schedule: RetrySchedule): string | number {
  return schedule.maxElapsedMs ?? ACTIVITY_RETRY_LIMIT;
}

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
