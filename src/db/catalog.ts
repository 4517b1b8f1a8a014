import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { DbExecutor } from './schema.js';
import { toSafeInteger } from '../domain/money.js';

export interface CatalogPrice {
  id: string;
  productId: string;
  active: boolean;
  currency: string;
  unitAmount: number | null;
  nickname: string | null;
  lookupKey: string | null;
  interval: string | null;
  intervalCount: number | null;
  creditsPerCycle: number;
}

export interface CatalogProduct {
  id: string;
  name: string;
  description: string | null;
  prices: CatalogPrice[];
}

const idOf = (value: string | { id: string }): string => (typeof value === 'string' ? value : value.id);

/**
 * Upserts unless the cached row is newer: `version` is the event's `created` (or the sync time), so a
 * redelivered or reordered older event never overwrites newer data.
 */
export async function upsertProduct(db: DbExecutor, tenantId: string, product: Stripe.Product, version: number): Promise<void> {
  await db
    .insertInto('catalog_products')
    .values({
      tenant_id: tenantId,
      id: product.id,
      name: product.name,
      description: product.description ?? null,
      active: product.active,
      stripe_version: version,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'id'])
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          description: eb.ref('excluded.description'),
          active: eb.ref('excluded.active'),
          stripe_version: eb.ref('excluded.stripe_version'),
          updated_at: new Date(),
        }))
        .where(sql<boolean>`catalog_products.stripe_version <= excluded.stripe_version and not catalog_products.deleted`),
    )
    .execute();
}

export async function upsertPrice(db: DbExecutor, tenantId: string, price: Stripe.Price, version: number): Promise<void> {
  await db
    .insertInto('catalog_prices')
    .values({
      tenant_id: tenantId,
      id: price.id,
      product_id: idOf(price.product),
      active: price.active,
      currency: price.currency.toLowerCase(),
      unit_amount: price.unit_amount ?? null,
      nickname: price.nickname ?? null,
      lookup_key: price.lookup_key ?? null,
      interval: price.recurring?.interval ?? null,
      interval_count: price.recurring?.interval_count ?? null,
      stripe_version: version,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'id'])
        // credits_per_cycle is ours and deliberately not touched.
        .doUpdateSet((eb) => ({
          product_id: eb.ref('excluded.product_id'),
          active: eb.ref('excluded.active'),
          currency: eb.ref('excluded.currency'),
          unit_amount: eb.ref('excluded.unit_amount'),
          nickname: eb.ref('excluded.nickname'),
          lookup_key: eb.ref('excluded.lookup_key'),
          interval: eb.ref('excluded.interval'),
          interval_count: eb.ref('excluded.interval_count'),
          stripe_version: eb.ref('excluded.stripe_version'),
          updated_at: new Date(),
        }))
        .where(sql<boolean>`catalog_prices.stripe_version <= excluded.stripe_version and not catalog_prices.deleted`),
    )
    .execute();
}

/** A deletion is final; an older event arriving afterwards cannot resurrect the row (see the upsert guards). */
export async function markDeleted(db: DbExecutor, table: 'catalog_products' | 'catalog_prices', tenantId: string, id: string, version: number): Promise<void> {
  await db
    .updateTable(table)
    .set({ deleted: true, active: false, stripe_version: version, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function isCatalogSynced(db: DbExecutor, tenantId: string): Promise<boolean> {
  const row = await db.selectFrom('catalog_syncs').select('tenant_id').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row !== undefined;
}

export async function markCatalogSynced(db: DbExecutor, tenantId: string): Promise<void> {
  await db
    .insertInto('catalog_syncs')
    .values({ tenant_id: tenantId })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ synced_at: new Date() }))
    .execute();
}

type PriceRow = {
  id: string;
  product_id: string;
  active: boolean;
  currency: string;
  unit_amount: string | null;
  nickname: string | null;
  lookup_key: string | null;
  interval: string | null;
  interval_count: number | null;
  credits_per_cycle: string;
};

function toPrice(row: PriceRow): CatalogPrice {
  return {
    id: row.id,
    productId: row.product_id,
    active: row.active,
    currency: row.currency,
    unitAmount: row.unit_amount === null ? null : toSafeInteger(row.unit_amount),
    nickname: row.nickname,
    lookupKey: row.lookup_key,
    interval: row.interval,
    intervalCount: row.interval_count,
    creditsPerCycle: toSafeInteger(row.credits_per_cycle),
  };
}

const PRICE_COLUMNS = [
  'id',
  'product_id',
  'active',
  'currency',
  'unit_amount',
  'nickname',
  'lookup_key',
  'interval',
  'interval_count',
  'credits_per_cycle',
] as const;

export async function findPrice(db: DbExecutor, tenantId: string, priceId: string): Promise<CatalogPrice | undefined> {
  const row = await db
    .selectFrom('catalog_prices')
    .select(PRICE_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', priceId)
    .where('deleted', '=', false)
    .executeTakeFirst();
  return row ? toPrice(row) : undefined;
}

export async function setPriceCredits(db: DbExecutor, tenantId: string, priceId: string, creditsPerCycle: number): Promise<CatalogPrice | undefined> {
  const row = await db
    .updateTable('catalog_prices')
    .set({ credits_per_cycle: creditsPerCycle, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', priceId)
    .where('deleted', '=', false)
    .returning(PRICE_COLUMNS)
    .executeTakeFirst();
  return row ? toPrice(row) : undefined;
}

/** Active products with their active prices, products without an active price left out. */
export async function listActiveCatalog(db: DbExecutor, tenantId: string): Promise<CatalogProduct[]> {
  const products = await db
    .selectFrom('catalog_products')
    .select(['id', 'name', 'description'])
    .where('tenant_id', '=', tenantId)
    .where('active', '=', true)
    .where('deleted', '=', false)
    .orderBy('name')
    .orderBy('id')
    .execute();
  const prices = await db
    .selectFrom('catalog_prices')
    .select(PRICE_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('active', '=', true)
    .where('deleted', '=', false)
    .orderBy('unit_amount')
    .orderBy('id')
    .execute();
  const byProduct = new Map<string, CatalogPrice[]>();
  for (const row of prices) {
    const list = byProduct.get(row.product_id) ?? [];
    list.push(toPrice(row));
    byProduct.set(row.product_id, list);
  }
  return products
    .map((product) => ({ id: product.id, name: product.name, description: product.description, prices: byProduct.get(product.id) ?? [] }))
    .filter((product) => product.prices.length > 0);
}
