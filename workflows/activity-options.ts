/**
 * Workflow-side activity options. The retry schedule and failure types are pure data in src/domain/retry/;
 * this module adds what needs @temporalio/workflow.
 */
import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';
import { retryLimit, retryPolicy, type RetrySchedule } from '../src/domain/retry/schedule.js';


export function activityOptions(schedule: RetrySchedule): ActivityOptions {
  // Activities heartbeat every 2 s (activities/keep-alive.ts): a crashed worker's activity is retried after 10 s.
  return { startToCloseTimeout: '30 seconds', heartbeatTimeout: '10 seconds', scheduleToCloseTimeout: retryLimit(schedule), retry: retryPolicy(schedule) };
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
