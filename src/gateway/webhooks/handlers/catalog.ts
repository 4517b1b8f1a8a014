import type Stripe from 'stripe';
import { markDeleted, upsertPrice, upsertProduct } from '../../../db/catalog.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap } from '../types.js';

/**
 * Which tenants' caches an event refreshes: the connected account's owner, or for platform events every
 * tenant selling from the platform account (no stripe_account_id of its own).
 */
async function tenantsFor(ctx: WebhookContext): Promise<string[]> {
  if (ctx.connectedTenantId !== undefined) return [ctx.connectedTenantId];
  const rows = await ctx.db.selectFrom('tenants').select('id').where('stripe_account_id', 'is', null).execute();
  return rows.map((row) => row.id);
}

/**
 * Written straight to the cache (no workflow: nothing to orchestrate). `event.created` versions each row, so
 * a redelivered or reordered older event never overwrites newer data, and a deletion is final.
 */
const refreshProduct: WebhookHandler = async (event, ctx) => {
  const product = event.data.object as Stripe.Product;
  const tenants = await tenantsFor(ctx);
  for (const tenantId of tenants) {
    if (event.type === 'product.deleted') await markDeleted(ctx.db, 'catalog_products', tenantId, product.id, event.created);
    else await upsertProduct(ctx.db, tenantId, product, event.created);
  }
  return { status: 'ignored', reason: `product cache refreshed for ${tenants.length} tenant(s)` };
};

const refreshPrice: WebhookHandler = async (event, ctx) => {
  const price = event.data.object as Stripe.Price;
  const tenants = await tenantsFor(ctx);
  for (const tenantId of tenants) {
    if (event.type === 'price.deleted') await markDeleted(ctx.db, 'catalog_prices', tenantId, price.id, event.created);
    else await upsertPrice(ctx.db, tenantId, price, event.created);
  }
  return { status: 'ignored', reason: `price cache refreshed for ${tenants.length} tenant(s)` };
};

/** product.* and price.* events → refresh the product cache. */
export const catalogHandlers: WebhookHandlerMap = {
  'product.created': refreshProduct,
  'product.updated': refreshProduct,
  'product.deleted': refreshProduct,
  'price.created': refreshPrice,
  'price.updated': refreshPrice,
  'price.deleted': refreshPrice,
};
