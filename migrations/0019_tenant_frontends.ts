import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Per-tenant base URL of the tenant's web app (overrides FRONTEND_BASE_URL): the top-up, subscription,
// billing-portal and Connect return pages live under it (src/payments/frontend-urls.ts).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenant_frontends')
    .addColumn('tenant_id', 'text', (col) => col.primaryKey().references('tenants.id'))
    .addColumn('base_url', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tenant_frontends').execute();
}
