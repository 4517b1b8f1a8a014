import type Stripe from 'stripe';
import { z } from 'zod';
import { markDeleted, upsertPrice, upsertProduct } from '../../db/catalog.js';
import { amount, count, currency, expandable, parseShape, stripeId, text } from '../shapes.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap } from '../types.js';

/** A deletion reads the id alone; an upsert every column upsertProduct/upsertPrice write. */
const deletedShape = z.looseObject({ id: stripeId });
const productShape = z.looseObject({ id: stripeId, name: text(5000), description: text(40_000).nullish(), active: z.boolean() });
const priceShape = z.looseObject({
  id: stripeId,
  product: expandable,
  active: z.boolean(),
  currency,
  unit_amount: amount.nullish(),
  nickname: text(5000).nullish(),
  lookup_key: text(200).nullish(),
  recurring: z.looseObject({ interval: z.enum(['day', 'week', 'month', 'year']), interval_count: count.min(1) }).nullish(),
});

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
  const parsed = parseShape(event.type === 'product.deleted' ? deletedShape : productShape, event.data.object, 'product', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const product = parsed.data as unknown as Stripe.Product;
  const tenants = await tenantsFor(ctx);
  for (const tenantId of tenants) {
    if (event.type === 'product.deleted') await markDeleted(ctx.db, 'catalog_products', tenantId, product.id, event.created);
    else await upsertProduct(ctx.db, tenantId, product, event.created);
  }
  return { status: 'ignored', reason: `product cache refreshed for ${tenants.length} tenant(s)` };
};

const refreshPrice: WebhookHandler = async (event, ctx) => {
  const parsed = parseShape(event.type === 'price.deleted' ? deletedShape : priceShape, event.data.object, 'price', event, ctx.log);
  if (!parsed.ok) return parsed.outcome;
  const price = parsed.data as unknown as Stripe.Price;
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
