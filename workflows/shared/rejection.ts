import { ApplicationFailure } from '@temporalio/workflow';

/** A refusal decided by a pure rule; the workflow throws it as a non-retryable ApplicationFailure. */
export interface Rejection {
  type: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The non-retryable failure for a rule's refusal (details, when given, as its single detail). */
export function failureOf(rejection: Rejection): ApplicationFailure {
  return ApplicationFailure.create({
    type: rejection.type,
    message: rejection.message,
    nonRetryable: true,
    details: rejection.details ? [rejection.details] : undefined,
  });
}
