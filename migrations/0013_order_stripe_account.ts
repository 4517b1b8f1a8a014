import type { Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// The Stripe account an order's objects live in, fixed when the order is created: the tenant's connected account,
// or null for the platform account (every order created before this column, which keeps its calls there).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('stripe_account_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('stripe_account_id').execute();
}
