import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Billing contacts. Stripe-sourced invoices create one on the fly per Stripe customer (unique per tenant).
  await db.schema
    .createTable('clients')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('stripe_customer_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('clients_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('clients_stripe_customer_unique', ['tenant_id', 'stripe_customer_id'])
    .execute();
  await db.schema.createIndex('clients_tenant_email_idx').on('clients').expression(sql`tenant_id, lower(email)`).execute();

  // One row per invoice. Stripe-sourced rows use the Stripe invoice id as their id; manual ones `inv_...`.
  // status is ours (draft|pending|paid|cancelled); stripe_status + the status_transitions timestamps + the newest
  // applied event time are kept so late, out-of-order events can be judged against the Stripe object's own state.
  await db.schema
    .createTable('invoices')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull().check(sql`source in ('stripe', 'manual')`))
    .addColumn('stripe_invoice_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('draft', 'pending', 'paid', 'cancelled')`))
    .addColumn('overdue', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('overdue_reason', 'text')
    .addColumn('amount_due', 'bigint', (col) => col.notNull().check(sql`amount_due >= 0`))
    .addColumn('amount_paid', 'bigint', (col) => col.notNull().defaultTo(0).check(sql`amount_paid >= 0`))
    .addColumn('currency', 'text', (col) => col.notNull().check(sql`currency ~ '^[a-z]{3}$'`))
    .addColumn('due_at', 'timestamptz')
    .addColumn('paid_at', 'timestamptz')
    .addColumn('memo', 'text')
    .addColumn('payment_link_id', 'text')
    .addColumn('payment_link_url', 'text')
    .addColumn('payment_link_active', 'boolean')
    .addColumn('stripe_status', 'text')
    .addColumn('stripe_customer_id', 'text')
    .addColumn('stripe_subscription_id', 'text')
    .addColumn('stripe_created_at', 'timestamptz')
    .addColumn('stripe_finalized_at', 'timestamptz')
    .addColumn('stripe_paid_at', 'timestamptz')
    .addColumn('stripe_voided_at', 'timestamptz')
    .addColumn('stripe_marked_uncollectible_at', 'timestamptz')
    .addColumn('stripe_last_event_at', 'timestamptz')
    .addColumn('stripe_last_event_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('invoices_pkey', ['tenant_id', 'id'])
    .addUniqueConstraint('invoices_stripe_invoice_unique', ['tenant_id', 'stripe_invoice_id'])
    .addForeignKeyConstraint('invoices_client_fk', ['tenant_id', 'client_id'], 'clients', ['tenant_id', 'id'])
    .addCheckConstraint('invoices_source_stripe_id', sql`(source = 'stripe') = (stripe_invoice_id is not null)`)
    .addCheckConstraint('invoices_paid_has_paid_at', sql`status <> 'paid' or paid_at is not null`)
    .execute();
  await db.schema.createIndex('invoices_tenant_status_created_idx').on('invoices').columns(['tenant_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('invoices_tenant_created_idx').on('invoices').columns(['tenant_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('invoices_tenant_client_idx').on('invoices').columns(['tenant_id', 'client_id', 'created_at']).execute();
  // Not unique: Stripe's ids are, but a stateless Stripe double hands out the same link id every time.
  await db.schema.createIndex('invoices_payment_link_idx').on('invoices').columns(['payment_link_id']).execute();

  await db.schema
    .createTable('invoice_line_items')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('invoice_id', 'text', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull().check(sql`position >= 0`))
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('unit_amount', 'bigint', (col) => col.notNull().check(sql`unit_amount >= 0`))
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount >= 0`))
    .addColumn('stripe_line_item_id', 'text')
    .addPrimaryKeyConstraint('invoice_line_items_pkey', ['tenant_id', 'invoice_id', 'position'])
    .addForeignKeyConstraint('invoice_line_items_invoice_fk', ['tenant_id', 'invoice_id'], 'invoices', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  // A payment received for an invoice. The primary key makes "paid" happen exactly once per invoice, whatever
  // number of webhooks, redeliveries or workflow runs report it.
  await db.schema
    .createTable('invoice_payments')
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('invoice_id', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull().check(sql`source in ('payment_link', 'stripe_invoice')`))
    .addColumn('reference', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount >= 0`))
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('paid_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('invoice_payments_pkey', ['tenant_id', 'invoice_id'])
    .addForeignKeyConstraint('invoice_payments_invoice_fk', ['tenant_id', 'invoice_id'], 'invoices', ['tenant_id', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('invoice_payments').ifExists().execute();
  await db.schema.dropTable('invoice_line_items').ifExists().execute();
  await db.schema.dropTable('invoices').ifExists().execute();
  await db.schema.dropTable('clients').ifExists().execute();
}
