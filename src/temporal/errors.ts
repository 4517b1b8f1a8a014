import { ActivityFailure, ApplicationFailure, isGrpcServiceError, ServiceError, type WorkflowUpdateFailedError } from '@temporalio/client';

const UNAVAILABLE_CODES = new Set([
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

/** True when Temporal could not be reached or did not answer in time: the caller should retry later. */
export function isTemporalUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (isGrpcServiceError(current) && UNAVAILABLE_CODES.has(current.code)) return true;
    if (current instanceof ServiceError && /unavailable|deadline|connect|ECONNREFUSED/i.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The failure type behind a failed update: the workflow's own refusal, or the activity's (ActivityFailure → cause). */
export function updateFailureType(error: WorkflowUpdateFailedError): string | undefined {
  let cause: unknown = error.cause;
  while (cause) {
    if (cause instanceof ApplicationFailure && cause.type) return cause.type;
    cause = cause instanceof ActivityFailure || cause instanceof Error ? (cause as Error).cause : undefined;
  }
  return undefined;
}
