import type { DbExecutor } from './schema.js';

export async function ensureTenant(db: DbExecutor, tenant: { id: string; name: string }): Promise<void> {
  await db.insertInto('tenants').values(tenant).onConflict((oc) => oc.column('id').doNothing()).execute();
}

export async function findTenantByStripeAccount(db: DbExecutor, stripeAccountId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select('id')
    .where('stripe_account_id', '=', stripeAccountId)
    .executeTakeFirst();
  return row?.id;
}

export async function findTenantName(db: DbExecutor, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('name').where('id', '=', tenantId).executeTakeFirst();
  return row?.name;
}
