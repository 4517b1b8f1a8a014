import type { Db } from './connection.js';

export async function ensureTenant(db: Db, tenant: { id: string; name: string }): Promise<void> {
  await db.insertInto('tenants').values(tenant).onConflict((oc) => oc.column('id').doNothing()).execute();
}

export async function findTenantByStripeAccount(db: Db, stripeAccountId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select('id')
    .where('stripe_account_id', '=', stripeAccountId)
    .executeTakeFirst();
  return row?.id;
}
