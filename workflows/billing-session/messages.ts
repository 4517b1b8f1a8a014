/**
 * The billing-session workflow's contract, shared by the gateway (which starts it and awaits its result), the
 * workflow and its activities. One short run per request: the Stripe writes behind POST /v1/subscriptions/checkout
 * (the wallet's customer, then a subscription-mode Checkout Session) and POST /v1/billing-portal (a portal session).
 */

import type { BillingSessionRequest, BillingSessionResult } from '../../src/domain/billing-session.js';

export * from '../../src/domain/billing-session.js';

export const BILLING_SESSION_WORKFLOW_TYPE = 'billingSessionWorkflow';

export type BillingSessionWorkflow = (request: BillingSessionRequest) => Promise<BillingSessionResult>;

/** `requestKey`: a digest of the request's business key (wallet, price, Idempotency-Key), or a fresh id without one. */
export const billingSessionWorkflowId = (tenantId: string, kind: BillingSessionRequest['kind'], requestKey: string): string =>
  `billing-session:${tenantId}:${kind}:${requestKey}`;
