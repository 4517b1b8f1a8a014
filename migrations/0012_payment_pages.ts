import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Per-tenant pages customers land on after a Checkout Session or Payment Link (success and cancel URLs).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenant_payment_pages')
    .addColumn('tenant_id', 'text', (col) => col.primaryKey().references('tenants.id'))
    .addColumn('success_url', 'text', (col) => col.notNull())
    .addColumn('cancel_url', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tenant_payment_pages').execute();
}
