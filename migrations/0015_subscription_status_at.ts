import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code from a migration.
// The subscription projection remembers the `created` second of the Stripe event that set its status, so the
// workflow's upsert can refuse a write that is older, or of the same second but earlier in the lifecycle
// (a reordered customer.subscription.created must not turn an active subscription back into incomplete).
// Rows from before count as 0: the next write from their workflow sets it.
// One payment-failure row per invoice needs nothing new: subscription_cycles' primary key is (tenant_id, invoice_id).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('subscriptions')
    .addColumn('status_at', 'bigint', (col) => col.notNull().defaultTo(sql`0`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscriptions').dropColumn('status_at').execute();
}
