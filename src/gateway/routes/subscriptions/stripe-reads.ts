import type Stripe from 'stripe';
import { markCatalogSynced, upsertPrice, upsertProduct } from '../../../db/catalog.js';
import type { Db } from '../../../db/connection.js';
import { findTenantStripeAccount } from '../../../db/stripe-customers.js';
import { classifyStripeError } from '../../../stripe/errors.js';
import { HttpProblem, problems } from '../../problem.js';

/** Any Stripe 4xx to a read means the caller's input (or our configuration) is wrong; anything else is an outage. */
export function stripeReadProblem(error: unknown): never {
  const failure = classifyStripeError(error);
  if (!failure) throw error;
  if (failure.statusCode >= 400 && failure.statusCode < 500) {
    if (failure.statusCode === 404) throw problems.notFound('Stripe object');
    throw new HttpProblem(502, 'stripe_error', `Stripe refused the request: ${(error as Error).message}`);
  }
  throw problems.unavailable('stripe_unavailable', 'Stripe is unreachable; retry shortly.');
}

/** The catalog reads the gateway makes itself: Stripe is only read here, the cache in PostgreSQL written. */
export function catalogReader(db: Db, stripe: Stripe) {
  async function options(tenantId: string): Promise<Stripe.RequestOptions> {
    const stripeAccount = await findTenantStripeAccount(db, tenantId);
    return stripeAccount ? { stripeAccount } : {};
  }

  return {
    /** First read for a tenant fills its cache from Stripe; product./price. webhooks keep it fresh afterwards. */
    async syncCatalog(tenantId: string): Promise<void> {
      const requestOptions = await options(tenantId);
      const version = Math.floor(Date.now() / 1000);
      try {
        const products = await stripe.products.list({ active: true, limit: 100 }, requestOptions).autoPagingToArray({ limit: 10_000 });
        const prices = await stripe.prices.list({ active: true, limit: 100 }, requestOptions).autoPagingToArray({ limit: 10_000 });
        for (const product of products) await upsertProduct(db, tenantId, product, version);
        for (const price of prices) await upsertPrice(db, tenantId, price, version);
      } catch (error) {
        stripeReadProblem(error);
      }
      await markCatalogSynced(db, tenantId);
    },

    /** A price not cached yet, looked up in Stripe (404 there is 404 here) and cached. */
    async cachePrice(tenantId: string, priceId: string): Promise<void> {
      try {
        const price = await stripe.prices.retrieve(priceId, {}, await options(tenantId));
        await upsertPrice(db, tenantId, { ...price, id: priceId }, price.created);
      } catch (error) {
        stripeReadProblem(error);
      }
    },
  };
}
