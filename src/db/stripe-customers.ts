import type { DbExecutor } from './schema.js';

export async function findStripeCustomer(db: DbExecutor, tenantId: string, accountId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('stripe_customers')
    .select('stripe_customer_id')
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row?.stripe_customer_id;
}

/** First writer wins; returns the customer id stored for the wallet (ours or a concurrent request's). */
export async function saveStripeCustomer(db: DbExecutor, tenantId: string, accountId: string, customerId: string): Promise<string> {
  await db
    .insertInto('stripe_customers')
    .values({ tenant_id: tenantId, account_id: accountId, stripe_customer_id: customerId })
    .onConflict((oc) => oc.columns(['tenant_id', 'account_id']).doNothing())
    .execute();
  return (await findStripeCustomer(db, tenantId, accountId)) ?? customerId;
}

/** The wallet a Stripe customer was created for, when it is unambiguous. */
export async function findAccountByCustomer(db: DbExecutor, tenantId: string, customerId: string): Promise<string | undefined> {
  const rows = await db
    .selectFrom('stripe_customers')
    .select('account_id')
    .where('tenant_id', '=', tenantId)
    .where('stripe_customer_id', '=', customerId)
    .limit(2)
    .execute();
  return rows.length === 1 ? rows[0]!.account_id : undefined;
}

/** The tenant's connected Stripe account, when it has one: Stripe calls for it carry `{ stripeAccount }`. */
export async function findTenantStripeAccount(db: DbExecutor, tenantId: string): Promise<string | undefined> {
  const row = await db.selectFrom('tenants').select('stripe_account_id').where('id', '=', tenantId).executeTakeFirst();
  return row?.stripe_account_id ?? undefined;
}
