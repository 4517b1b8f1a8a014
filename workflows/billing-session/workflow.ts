import { proxyActivities } from '@temporalio/workflow';
import type { BillingSessionActivities } from '../../activities/billing-session.js';
import type { BillingSessionRequest, BillingSessionResult } from './messages.js';

/**
 * One attempt, no retries: the request that started this run is waiting for its answer, and a Stripe failure goes
 * back to it as problem details (as when the gateway called Stripe itself; the Stripe client retries the network).
 */
const acts = proxyActivities<BillingSessionActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

export async function billingSessionWorkflow(request: BillingSessionRequest): Promise<BillingSessionResult> {
  if (request.kind === 'billing_portal') {
    const session = await acts.createBillingPortalSession(request);
    return { kind: 'billing_portal', url: session.url };
  }
  const customerId =
    request.knownCustomerId ??
    (await acts.ensureStripeCustomer({ tenantId: request.tenantId, accountId: request.accountId, idempotencyKey: request.customerIdempotencyKey }));
  const session = await acts.createSubscriptionCheckoutSession({ ...request, customerId });
  return { kind: 'subscription_checkout', checkoutSessionId: session.id, url: session.url, customerId };
}
