import type { Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// Recovery campaigns text the phone number Stripe has for an invoice's customer.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('phone', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('phone').execute();
}
