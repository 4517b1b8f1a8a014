import type { ColumnType } from 'kysely';
import type { BigIntColumn, UpdatedAt } from './columns.js';

/** Migration 0002. */
export type CatalogTables = {
  catalog_products: {
    tenant_id: string;
    id: string;
    name: string;
    description: string | null;
    active: boolean;
    deleted: ColumnType<boolean, boolean | undefined, boolean>;
    stripe_version: BigIntColumn;
    updated_at: UpdatedAt;
  };
  catalog_prices: {
    tenant_id: string;
    id: string;
    product_id: string;
    active: boolean;
    deleted: ColumnType<boolean, boolean | undefined, boolean>;
    currency: string;
    unit_amount: BigIntColumn | null;
    nickname: string | null;
    lookup_key: string | null;
    interval: string | null;
    interval_count: number | null;
    credits_per_cycle: ColumnType<string, number | string | undefined, number | string>;
    stripe_version: BigIntColumn;
    updated_at: UpdatedAt;
  };
  catalog_syncs: {
    tenant_id: string;
    synced_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
};
