import type { DbExecutor } from './schema.js';

/** Every tenant's linked Stripe account (Connect), for per-account work such as the missed-event sweep. */
export async function listConnectedAccounts(db: DbExecutor): Promise<Array<{ tenantId: string; stripeAccountId: string }>> {
  const rows = await db.selectFrom('tenants').select(['id', 'stripe_account_id']).where('stripe_account_id', 'is not', null).orderBy('id').execute();
  return rows.map((row) => ({ tenantId: row.id, stripeAccountId: row.stripe_account_id! }));
}
