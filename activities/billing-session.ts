import { ApplicationFailure } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { findStripeCustomer, findTenantStripeAccount, saveStripeCustomer } from '../src/db/stripe-customers.js';
import { classifyStripeError } from '../src/stripe/errors.js';
import {
  STRIPE_REFUSED_FAILURE,
  STRIPE_UNREACHABLE_FAILURE,
  type BillingPortalRequest,
  type StripeFailureDetails,
  type SubscriptionCheckoutRequest,
} from '../src/domain/billing-session.js';

export interface BillingSessionActivityDeps {
  db: Db;
  stripe: Stripe;
}

/**
 * Every 4xx (409 and 429 included) is refused, anything else unreachable, as the gateway answered when it called
 * Stripe itself; both end the single-attempt run with Stripe's own message and status code.
 */
async function stripeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = classifyStripeError(error);
    if (!failure) throw error;
    const details: StripeFailureDetails = { statusCode: failure.statusCode };
    const type = failure.statusCode >= 400 && failure.statusCode < 500 ? STRIPE_REFUSED_FAILURE : STRIPE_UNREACHABLE_FAILURE;
    throw ApplicationFailure.create({ type, message: (error as Error).message, details: [details], nonRetryable: true });
  }
}

export function createBillingSessionActivities({ db, stripe }: BillingSessionActivityDeps) {
  async function requestOptions(tenantId: string, idempotencyKey?: string | null): Promise<Stripe.RequestOptions> {
    const stripeAccount = await findTenantStripeAccount(db, tenantId);
    return { ...(stripeAccount ? { stripeAccount } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  return {
    /** The wallet's Stripe customer, created once (idempotency key per wallet) and stored for reuse. */
    async ensureStripeCustomer(input: { tenantId: string; accountId: string; idempotencyKey: string }): Promise<string> {
      const known = await findStripeCustomer(db, input.tenantId, input.accountId);
      if (known) return known;
      const options = await requestOptions(input.tenantId, input.idempotencyKey);
      const customer = await stripeCall(() => stripe.customers.create({ metadata: { tenant_id: input.tenantId, account_id: input.accountId } }, options));
      return saveStripeCustomer(db, input.tenantId, input.accountId, customer.id);
    },

    async createSubscriptionCheckoutSession(input: SubscriptionCheckoutRequest & { customerId: string }): Promise<{ id: string; url: string | null }> {
      const metadata = { tenant_id: input.tenantId, account_id: input.accountId, price_id: input.priceId };
      const options = await requestOptions(input.tenantId, input.sessionIdempotencyKey);
      const session = await stripeCall(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: input.customerId,
            line_items: [{ price: input.priceId, quantity: 1 }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            client_reference_id: input.accountId,
            metadata: { purpose: 'subscription', ...metadata },
            // Routes every customer.subscription.* and invoice event back to this tenant and wallet.
            subscription_data: { metadata },
          },
          options,
        ),
      );
      return { id: session.id, url: session.url };
    },

    async createBillingPortalSession(input: BillingPortalRequest): Promise<{ url: string }> {
      const options = await requestOptions(input.tenantId);
      const session = await stripeCall(() => stripe.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl }, options));
      return { url: session.url };
    },
  };
}

export type BillingSessionActivities = ReturnType<typeof createBillingSessionActivities>;
