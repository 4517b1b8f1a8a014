import { WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import { findPrice, isCatalogSynced, listActiveCatalog, setPriceCredits } from '../../../db/catalog.js';
import { findStripeCustomer } from '../../../db/stripe-customers.js';
import { findSubscription, listSubscriptions, summarizeCycles, type SubscriptionRecord } from '../../../db/subscriptions.js';
import { subscriptionWorkflowId } from '../../../temporal/workflow-ids.js';
import { cancelSubscriptionUpdate, subscriptionStateQuery } from '../../../../workflows/subscription/messages.js';
import { resolveAccountId, type Principal } from '../../auth.js';
import { checkoutReturnUrls, portalReturnUrl } from '../../origin.js';
import { HttpProblem, problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { digest } from '../../schemas.js';
import { billingSessions } from './billing-sessions.js';
import { priceJson, storedSubscriptionDetailJson, subscriptionDetailJson, subscriptionJson, subscriptionSummaryJson } from './mappers.js';
import type { contracts } from './schemas.js';
import { catalogReader } from './stripe-reads.js';

export function subscriptionHandlers({ config, db, temporal, stripe }: RouteDeps): Handlers<typeof contracts> {
  const catalog = catalogReader(db, stripe);
  const sessions = billingSessions(temporal, config);
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  /** 404 for unknown subscriptions, other tenants' and (for JWT users) other users'. */
  async function ownedSubscription(principal: Principal, id: string): Promise<SubscriptionRecord> {
    const record = await findSubscription(db, principal.tenantId, id);
    if (!record) throw problems.notFound('subscription');
    if (principal.kind === 'jwt' && principal.role !== 'admin' && record.accountId !== principal.userId) throw problems.notFound('subscription');
    return record;
  }

  return {
    async listProducts({ principal }, res) {
      if (!(await isCatalogSynced(db, principal.tenantId))) await catalog.syncCatalog(principal.tenantId);
      const products = await listActiveCatalog(db, principal.tenantId);
      res.json({
        data: products.map((product) => ({ id: product.id, name: product.name, description: product.description, prices: product.prices.map(priceJson) })),
      });
    },

    async setPriceCredits({ params, body, principal }, res) {
      if (!(await findPrice(db, principal.tenantId, params.id))) await catalog.cachePrice(principal.tenantId, params.id);
      const price = await setPriceCredits(db, principal.tenantId, params.id, body.credits_per_cycle);
      if (!price) throw problems.notFound('price');
      res.json(priceJson(price));
    },

    async startCheckout({ body, principal, raw }, res) {
      const returnUrls = await checkoutReturnUrls({ config, db }, raw, principal.tenantId, body, { kind: 'subscription' });
      const account = resolveAccountId(principal, body.account_id);
      if (!(await isCatalogSynced(db, principal.tenantId))) await catalog.syncCatalog(principal.tenantId);
      const price = await findPrice(db, principal.tenantId, body.price_id);
      if (!price || !price.active) throw problems.notFound('price');
      if (!price.interval) throw problems.validation([{ field: 'body.price_id', message: 'not a recurring price' }]);
      const key = raw.header('idempotency-key');
      const requestKey = key ? digest(account, price.id, key) : null;
      const session = await sessions.subscriptionCheckout(
        {
          kind: 'subscription_checkout',
          tenantId: principal.tenantId,
          accountId: account,
          priceId: price.id,
          knownCustomerId: (await findStripeCustomer(db, principal.tenantId, account)) ?? null,
          successUrl: returnUrls.successUrl,
          cancelUrl: returnUrls.cancelUrl,
          sessionIdempotencyKey: requestKey ? `subscription-checkout:${principal.tenantId}:${requestKey}` : null,
          customerIdempotencyKey: `customer:${principal.tenantId}:${digest(account)}`,
        },
        requestKey,
      );
      if (!session.url) throw new HttpProblem(502, 'stripe_error', 'Stripe returned a Checkout Session without a url.');
      res.status(201).json({ url: session.url, checkout_session_id: session.checkoutSessionId, customer_id: session.customerId });
    },

    async listSubscriptions({ query, principal }, res) {
      const account =
        principal.kind === 'jwt' ? resolveAccountId(principal, query.account_id) : query.account_id; // API keys see every wallet unless filtered
      const records = await listSubscriptions(db, { tenantId: principal.tenantId, accountId: account, status: query.status, limit: query.limit });
      res.json({ data: records.map((record) => subscriptionJson(record.subscriptionId, record)) });
    },

    async getSubscription({ params, principal }, res) {
      const record = await ownedSubscription(principal, params.id);
      try {
        const state = await temporal.withDeadline(deadline(), () =>
          temporal.workflow.getHandle(subscriptionWorkflowId(principal.tenantId, params.id)).query(subscriptionStateQuery),
        );
        res.json(subscriptionDetailJson(state));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          res.json(storedSubscriptionDetailJson(record));
          return;
        }
        throw error;
      }
    },

    async getSummary({ params, principal }, res) {
      const record = await ownedSubscription(principal, params.id);
      res.json(subscriptionSummaryJson(record, await summarizeCycles(db, principal.tenantId, params.id)));
    },

    async cancelSubscription({ params, query, principal }, res) {
      await ownedSubscription(principal, params.id);
      const handle = temporal.workflow.getHandle(subscriptionWorkflowId(principal.tenantId, params.id));
      try {
        const state = await temporal.withDeadline(deadline(), () => handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: query.at_period_end }] }));
        res.json(subscriptionDetailJson(state));
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) {
          const cause = error.cause as { type?: string; message?: string } | undefined;
          if (cause?.type === 'StripeClientError' || /Stripe/.test(cause?.message ?? '')) {
            throw new HttpProblem(502, 'stripe_error', 'Stripe refused to cancel the subscription.');
          }
          throw problems.conflict('subscription_not_cancelable', cause?.message ?? error.message);
        }
        // The workflow closed: the subscription is already canceled.
        if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === 5)) {
          throw problems.conflict('subscription_not_cancelable', 'The subscription is already canceled.');
        }
        throw error;
      }
    },

    async openBillingPortal({ body, principal, raw }, res) {
      const returnUrl = await portalReturnUrl({ config, db }, raw, principal.tenantId, body);
      const account = resolveAccountId(principal, body.account_id);
      const customer = await findStripeCustomer(db, principal.tenantId, account);
      if (!customer) throw problems.notFound('Stripe customer for this wallet');
      const session = await sessions.billingPortal({ kind: 'billing_portal', tenantId: principal.tenantId, customerId: customer, returnUrl });
      res.status(201).json({ url: session.url });
    },
  };
}
