import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.

const ORDER_STATUSES = ['pending', 'requires_action', 'processing', 'failed', 'canceled', 'paid', 'partially_refunded', 'refunded'];
const REFUND_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'];
const list = (values: string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export async function up(db: Kysely<any>): Promise<void> {
  // One row per order; amounts are bigint minor units of `currency`. The OrderWorkflow is the only writer.
  await db.schema
    .createTable('orders')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('receipt_email', 'text')
    .addColumn('description', 'text')
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in (${list(ORDER_STATUSES)})`))
    .addColumn('current_attempt', 'integer', (col) => col.notNull().defaultTo(0).check(sql`current_attempt >= 0`))
    .addColumn('payment_intent_id', 'text')
    .addColumn('captured_amount', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`captured_amount >= 0`))
    .addColumn('refunded_total', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`refunded_total >= 0`))
    .addColumn('paid_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('orders_pkey', ['tenant_id', 'id'])
    .addCheckConstraint('orders_refunded_within_captured', sql`refunded_total <= captured_amount`)
    .execute();
  await db.schema.createIndex('orders_tenant_status_paid_idx').on('orders').columns(['tenant_id', 'status', 'paid_at']).execute();
  await db.schema.createIndex('orders_tenant_status_created_idx').on('orders').columns(['tenant_id', 'status', 'created_at']).execute();

  // One row per PaymentIntent attempt. The PaymentIntent id is indexed, not unique: Stripe's ids are unique, but a
  // stateless Stripe double (stripe-mock) may hand out the same id twice; lookups treat several matches as ambiguous.
  await db.schema
    .createTable('order_payments')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('order_id', 'text', (col) => col.notNull())
    .addColumn('attempt', 'integer', (col) => col.notNull().check(sql`attempt > 0`))
    .addColumn('payment_intent_id', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('amount_received', 'bigint', (col) => col.check(sql`amount_received >= 0`))
    .addColumn('failure_message', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('order_payments_pkey', ['tenant_id', 'order_id', 'attempt'])
    .addForeignKeyConstraint('order_payments_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('order_payments_intent_idx').on('order_payments').columns(['payment_intent_id']).execute();
  await db.schema.createIndex('order_payments_tenant_status_idx').on('order_payments').columns(['tenant_id', 'status', 'created_at']).execute();

  await db.schema
    .createTable('order_refunds')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('order_id', 'text', (col) => col.notNull())
    .addColumn('request_key', 'text', (col) => col.notNull())
    /** `refund:<tenant>:<order>:<request key>`, also the Stripe idempotency key. */
    .addColumn('idempotency_key', 'text', (col) => col.notNull())
    .addColumn('payment_intent_id', 'text', (col) => col.notNull())
    .addColumn('stripe_refund_id', 'text')
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('note', 'text')
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in (${list(REFUND_STATUSES)})`))
    .addColumn('failure_reason', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('order_refunds_pkey', ['tenant_id', 'id'])
    .addForeignKeyConstraint('order_refunds_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'])
    .addUniqueConstraint('order_refunds_idempotency_unique', ['tenant_id', 'idempotency_key'])
    .execute();
  await sql`create unique index order_refunds_stripe_refund_unique on order_refunds (stripe_refund_id) where stripe_refund_id is not null`.execute(db);
  await db.schema.createIndex('order_refunds_tenant_status_idx').on('order_refunds').columns(['tenant_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('order_refunds_order_idx').on('order_refunds').columns(['tenant_id', 'order_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('order_refunds').execute();
  await db.schema.dropTable('order_payments').execute();
  await db.schema.dropTable('orders').execute();
}
