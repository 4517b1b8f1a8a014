import { type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Indexes for the operators' financial summary, so it reads ranges instead of scanning tables.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('credit_ledger_tenant_kind_created_idx').on('credit_ledger').columns(['tenant_id', 'kind', 'created_at']).execute();
  await db.schema
    .createIndex('subscription_cycles_tenant_status_created_idx')
    .on('subscription_cycles')
    .columns(['tenant_id', 'status', 'created_at'])
    .execute();
  await db.schema.createIndex('invoice_payments_tenant_paid_idx').on('invoice_payments').columns(['tenant_id', 'paid_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('invoice_payments_tenant_paid_idx').execute();
  await db.schema.dropIndex('subscription_cycles_tenant_status_created_idx').execute();
  await db.schema.dropIndex('credit_ledger_tenant_kind_created_idx').execute();
}
