import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.

const KINDS_BEFORE = ['top_up', 'spend', 'grant'];
const KINDS_AFTER = [...KINDS_BEFORE, 'subscription_cycle'];

/** 0001 let PostgreSQL name the kind CHECK; find it by its definition rather than guessing the generated name. */
async function replaceLedgerKindCheck(db: Kysely<any>, kinds: string[]): Promise<void> {
  const { rows } = await sql<{ conname: string }>`
    select conname from pg_constraint
    where conrelid = 'credit_ledger'::regclass and contype = 'c' and pg_get_constraintdef(oid) ilike '%kind%'
  `.execute(db);
  for (const { conname } of rows) {
    await sql`alter table credit_ledger drop constraint ${sql.id(conname)}`.execute(db);
  }
  const list = sql.join(kinds.map((kind) => sql.lit(kind)));
  await sql`alter table credit_ledger add constraint credit_ledger_kind_check check (kind in (${list}))`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await replaceLedgerKindCheck(db, KINDS_AFTER);

  // Catalog cache per tenant, fed by product.* / price.* webhooks and an initial sync from Stripe.
  // stripe_version (Unix seconds: event.created, or the sync time) keeps an older event from overwriting newer data.
  await db.schema
    .createTable('catalog_products')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('active', 'boolean', (col) => col.notNull())
    .addColumn('deleted', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('stripe_version', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('catalog_products_pkey', ['tenant_id', 'id'])
    .execute();

  await db.schema
    .createTable('catalog_prices')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('product_id', 'text', (col) => col.notNull())
    .addColumn('active', 'boolean', (col) => col.notNull())
    .addColumn('deleted', 'boolean', (col) => col.notNull().defaultTo(false))
    // Credits are granted in the price's currency.
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('unit_amount', 'bigint')
    .addColumn('nickname', 'text')
    .addColumn('lookup_key', 'text')
    .addColumn('interval', 'text')
    .addColumn('interval_count', 'integer')
    // Configured here (PUT /v1/admin/prices/{id}/credits), never by Stripe: webhooks leave it alone.
    .addColumn('credits_per_cycle', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`credits_per_cycle >= 0`))
    .addColumn('stripe_version', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('catalog_prices_pkey', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('catalog_prices_product_idx').on('catalog_prices').columns(['tenant_id', 'product_id']).execute();

  // "Empty" and "never synced" differ: a tenant without products must not hit Stripe on every GET.
  await db.schema
    .createTable('catalog_syncs')
    .addColumn('tenant_id', 'text', (col) => col.primaryKey().references('tenants.id'))
    .addColumn('synced_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('stripe_customers')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('stripe_customer_id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('stripe_customers_pkey', ['tenant_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('stripe_customers_customer_idx')
    .on('stripe_customers')
    .columns(['tenant_id', 'stripe_customer_id'])
    .execute();

  // Projection written by the SubscriptionWorkflow; the workflow's state query is the source of truth.
  await db.schema
    .createTable('subscriptions')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('price_id', 'text')
    .addColumn('product_id', 'text')
    .addColumn('unit_amount', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('interval', 'text')
    .addColumn('interval_count', 'integer')
    .addColumn('quantity', 'integer')
    .addColumn('current_period_start', 'timestamptz')
    .addColumn('current_period_end', 'timestamptz')
    .addColumn('cancel_at_period_end', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('canceled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('subscriptions_pkey', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('subscriptions_status_idx').on('subscriptions').columns(['tenant_id', 'status']).execute();
  await db.schema.createIndex('subscriptions_account_idx').on('subscriptions').columns(['tenant_id', 'account_id']).execute();

  // One row per subscription invoice: a paid one is a cycle (credits may be 0), a failed one stays 'failed' until paid.
  await db.schema
    .createTable('subscription_cycles')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('invoice_id', 'text', (col) => col.notNull())
    .addColumn('subscription_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('paid', 'failed')`))
    .addColumn('price_id', 'text')
    .addColumn('amount_paid', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('currency', 'text')
    .addColumn('credits_granted', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('period_start', 'timestamptz')
    .addColumn('period_end', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('subscription_cycles_pkey', ['tenant_id', 'invoice_id'])
    .execute();
  await db.schema
    .createIndex('subscription_cycles_subscription_idx')
    .on('subscription_cycles')
    .columns(['tenant_id', 'subscription_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subscription_cycles').execute();
  await db.schema.dropTable('subscriptions').execute();
  await db.schema.dropTable('stripe_customers').execute();
  await db.schema.dropTable('catalog_syncs').execute();
  await db.schema.dropTable('catalog_prices').execute();
  await db.schema.dropTable('catalog_products').execute();
  // Fails if subscription_cycle entries exist: the append-only ledger cannot lose them.
  await replaceLedgerKindCheck(db, KINDS_BEFORE);
}
