import type { Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// An invoice client may be linked to one end user (the JWT subject): end users see only the invoices of the clients
// linked to them. Set by the back office; null = no end user sees the client's invoices.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('user_id', 'text').execute();
  await db.schema.createIndex('clients_tenant_user_idx').on('clients').columns(['tenant_id', 'user_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('clients_tenant_user_idx').ifExists().execute();
  await db.schema.alterTable('clients').dropColumn('user_id').execute();
}
