import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Payment-recovery campaigns (one row per unpaid item) and per-tenant campaign schedules.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('recovery_campaigns')
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    // Business key: invoice:<id>, subscription_invoice:<id>, order:<id>, txn:<reference>.
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('item_kind', 'text', (col) => col.notNull().check(sql`item_kind in ('invoice', 'subscription_invoice', 'order', 'transaction')`))
    .addColumn('item_ref', 'text', (col) => col.notNull())
    .addColumn('amount', 'bigint', (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('customer_email', 'text')
    .addColumn('customer_phone', 'text')
    .addColumn('customer_time_zone', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('status', 'text', (col) =>
      col.notNull().defaultTo('active').check(sql`status in ('active', 'paused', 'snoozed', 'paid', 'cancelled', 'expired', 'exhausted')`),
    )
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_step_at', 'timestamptz')
    .addColumn('recovered_amount', 'bigint')
    .addColumn('paid_at', 'timestamptz')
    .addColumn('paid_via', 'text')
    // Per-message outcomes (step, channel, time, outcome) as the workflow recorded them, for reporting.
    .addColumn('messages', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('recovery_campaigns_pkey', ['tenant_id', 'id'])
    .execute();
  await db.schema.createIndex('recovery_campaigns_tenant_status_idx').on('recovery_campaigns').columns(['tenant_id', 'status']).execute();
  await db.schema.createIndex('recovery_campaigns_tenant_email_idx').on('recovery_campaigns').columns(['tenant_id', 'customer_email']).execute();

  await db.schema
    .createTable('recovery_schedules')
    .addColumn('tenant_id', 'text', (col) => col.primaryKey().references('tenants.id'))
    .addColumn('schedule', 'jsonb', (col) => col.notNull())
    .addColumn('quiet_hours_start', 'text')
    .addColumn('quiet_hours_end', 'text')
    .addColumn('max_attempts', 'integer', (col) => col.notNull().check(sql`max_attempts > 0`))
    .addColumn('expiry_days', 'integer', (col) => col.notNull().check(sql`expiry_days > 0`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('recovery_schedules_quiet_hours_pair', sql`(quiet_hours_start is null) = (quiet_hours_end is null)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_schedules').execute();
  await db.schema.dropTable('recovery_campaigns').execute();
}
