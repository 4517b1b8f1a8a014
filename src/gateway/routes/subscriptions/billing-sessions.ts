import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Config } from '../../../config.js';
import {
  BILLING_SESSION_WORKFLOW_TYPE,
  billingSessionWorkflowId,
  STRIPE_REFUSED_FAILURE,
  STRIPE_UNREACHABLE_FAILURE,
  type BillingPortalRequest,
  type BillingPortalResult,
  type BillingSessionWorkflow,
  type StripeFailureDetails,
  type SubscriptionCheckoutRequest,
  type SubscriptionCheckoutResult,
} from '../../../../workflows/billing-session/messages.js';
import { HttpProblem, problems } from '../../problem.js';

/** The Stripe failure that ended a billing-session run, if that is what ended it. */
function stripeFailureOf(error: WorkflowFailedError): ApplicationFailure | undefined {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 5 && cause; depth++) {
    if (cause instanceof ApplicationFailure && (cause.type === STRIPE_REFUSED_FAILURE || cause.type === STRIPE_UNREACHABLE_FAILURE)) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The answers the gateway gave when it called Stripe itself: 404 for a missing object, 502 refused, 503 unreachable. */
function billingSessionProblem(error: unknown): never {
  const failure = error instanceof WorkflowFailedError ? stripeFailureOf(error) : undefined;
  if (failure?.type === STRIPE_REFUSED_FAILURE) {
    if ((failure.details?.[0] as StripeFailureDetails | undefined)?.statusCode === 404) throw problems.notFound('Stripe object');
    throw new HttpProblem(502, 'stripe_error', `Stripe refused the request: ${failure.message}`);
  }
  if (failure) throw problems.unavailable('stripe_unavailable', 'Stripe is unreachable; retry shortly.');
  // Temporal unreachable or too slow: the problem handler (temporal_unavailable, upstream_timeout).
  throw error;
}

/**
 * The Stripe writes behind the subscription routes, each a short billing-session workflow run that the request
 * starts and awaits. A request with a business key (Idempotency-Key) gets a run id of its own, so a concurrent
 * replay joins the running one.
 */
export function billingSessions(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_RPC_TIMEOUT_MS'>) {
  async function run<R>(request: SubscriptionCheckoutRequest | BillingPortalRequest, requestKey: string): Promise<R> {
    try {
      const result = await temporal.withDeadline(Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4, () =>
        temporal.workflow.execute<BillingSessionWorkflow>(BILLING_SESSION_WORKFLOW_TYPE, {
          workflowId: billingSessionWorkflowId(request.tenantId, request.kind, requestKey),
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [request],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowExecutionTimeout: '5 minutes',
        }),
      );
      return result as R;
    } catch (error) {
      return billingSessionProblem(error);
    }
  }

  return {
    subscriptionCheckout: (request: SubscriptionCheckoutRequest, requestKey: string | null) =>
      run<SubscriptionCheckoutResult>(request, requestKey ?? randomUUID()),
    billingPortal: (request: BillingPortalRequest) => run<BillingPortalResult>(request, randomUUID()),
  };
}
