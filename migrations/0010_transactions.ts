import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Transactions (the seed system's payable items, `txn:<ref>`), their Checkout Sessions and payments, and every
// payment that arrived for an item that was already settled (refunded in full by a workflow step).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('transactions')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('ref', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('open').check(sql`status in ('open', 'paid', 'refunded')`))
    .addColumn('customer_email', 'text')
    .addColumn('customer_phone', 'text')
    .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    // One Payment Link per transaction (limit one completed session), reused by every recovery step.
    .addColumn('product_id', 'text')
    .addColumn('price_id', 'text')
    .addColumn('payment_link_id', 'text')
    .addColumn('payment_link_url', 'text')
    .addColumn('payment_link_active', 'boolean')
    // The payment that settled it: set once, by the first succeeded payment.
    .addColumn('paid_payment_intent_id', 'text')
    .addColumn('paid_amount', 'bigint')
    .addColumn('paid_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('transactions_pkey', ['tenant_id', 'ref'])
    .addCheckConstraint('transactions_paid_has_payment', sql`status = 'open' or paid_payment_intent_id is not null`)
    .execute();

  // Campaigns started for a transaction before this table existed: their transaction, still open, so the
  // campaign's next step finds the item it chases (paid campaigns need no item any more).
  await sql`
    insert into transactions (tenant_id, ref, amount, currency, customer_email, customer_phone, metadata)
    select tenant_id, item_ref, amount, currency, customer_email, customer_phone, metadata
    from recovery_campaigns
    where item_kind = 'transaction' and status <> 'paid' and currency ~ '^[a-z]{3}$'
    on conflict do nothing`.execute(db);

  await db.schema
    .createTable('transaction_checkout_sessions')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('session_id', 'text', (col) => col.notNull())
    .addColumn('transaction_ref', 'text', (col) => col.notNull())
    // Sequence number within the transaction: the Stripe idempotency key of the create.
    .addColumn('seq', 'integer', (col) => col.notNull().check(sql`seq >= 1`))
    .addColumn('url', 'text')
    .addColumn('payment_intent_id', 'text')
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('transaction_checkout_sessions_pkey', ['tenant_id', 'session_id'])
    .addUniqueConstraint('transaction_checkout_sessions_seq_unique', ['tenant_id', 'transaction_ref', 'seq'])
    .addForeignKeyConstraint('transaction_checkout_sessions_txn_fk', ['tenant_id', 'transaction_ref'], 'transactions', ['tenant_id', 'ref'])
    .execute();

  // Every PaymentIntent seen for a transaction, once (succeeded or failed; a failed one may later succeed).
  await db.schema
    .createTable('transaction_payments')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('payment_intent_id', 'text', (col) => col.notNull())
    .addColumn('transaction_ref', 'text', (col) => col.notNull())
    .addColumn('checkout_session_id', 'text')
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('succeeded', 'failed')`))
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount >= 0`))
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('failure_message', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('transaction_payments_pkey', ['tenant_id', 'payment_intent_id'])
    .addForeignKeyConstraint('transaction_payments_txn_fk', ['tenant_id', 'transaction_ref'], 'transactions', ['tenant_id', 'ref'])
    .execute();
  await db.schema.createIndex('transaction_payments_txn_idx').on('transaction_payments').columns(['tenant_id', 'transaction_ref']).execute();

  // Money that arrived for an item already settled. The primary key is the PaymentIntent: one refund per payment.
  await db.schema
    .createTable('excess_payments')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('payment_intent_id', 'text', (col) => col.notNull())
    .addColumn('item_kind', 'text', (col) => col.notNull().check(sql`item_kind in ('invoice', 'subscription_invoice', 'order', 'transaction')`))
    .addColumn('item_ref', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount >= 0`))
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('refund_id', 'text')
    .addColumn('refund_status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('detected_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('excess_payments_pkey', ['tenant_id', 'payment_intent_id'])
    .execute();
  await db.schema.createIndex('excess_payments_item_idx').on('excess_payments').columns(['tenant_id', 'item_kind', 'item_ref']).execute();
  await db.schema.createIndex('excess_payments_detected_idx').on('excess_payments').columns(['tenant_id', 'detected_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('excess_payments').ifExists().execute();
  await db.schema.dropTable('transaction_payments').ifExists().execute();
  await db.schema.dropTable('transaction_checkout_sessions').ifExists().execute();
  await db.schema.dropTable('transactions').ifExists().execute();
}
