/**
 * What went wrong upstream of a request, for honest 503s: Stripe unreachable or hanging (`stripe_unavailable`), a
 * call that ran into its deadline while Temporal itself answers (`upstream_timeout`), or Temporal unreachable
 * (`temporal_unavailable`, src/temporal/errors.ts).
 */
import { isGrpcDeadlineError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { STRIPE_TRANSIENT_ERROR } from '../domain/retry/error-types.js';
import { classifyStripeError, isStripeOutage } from '../stripe/errors.js';
import { updateFailureType } from '../temporal/errors.js';


/** Stripe could not be reached, timed out or answered 5xx: from a synchronous SDK call, or behind a workflow update. */
export function isStripeUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof WorkflowUpdateFailedError) return updateFailureType(current) === STRIPE_TRANSIENT_ERROR;
    const stripeFailure = classifyStripeError(current);
    if (stripeFailure) return isStripeOutage(stripeFailure);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The client gave up at its deadline (the update or call may still be running). */
export function isDeadlineExceeded(error: unknown): boolean {
  return error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(error);
}

/** Whether Temporal answers a cheap call within `timeoutMs`: tells a slow update from an unreachable server. */
export async function temporalAnswers(temporal: Client, timeoutMs = 1_000): Promise<boolean> {
  try {
    await temporal.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
