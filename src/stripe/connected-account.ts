import type Stripe from 'stripe';
import type { Db } from '../db/connection.js';

/**
 * Stripe calls made on behalf of a tenant must carry its connected account (Stripe-Account header), so the
 * objects are created in the tenant's Stripe account rather than the platform's:
 *
 *   const options = await stripeAccountFor(db, tenantId);           // {} or { stripeAccount: 'acct_...' }
 *   await stripe.checkout.sessions.create(params, { ...options, idempotencyKey });
 *
 * A tenant without a connected account (or after a disconnect) sells from the platform account: `{}`.
 */
export type StripeAccountOptions = Pick<Stripe.RequestOptions, 'stripeAccount'>;

/** From a tenants row you already have. */
export function stripeRequestOptions(tenant: { stripe_account_id?: string | null } | { stripeAccountId?: string | null }): StripeAccountOptions {
  const account = 'stripe_account_id' in tenant ? tenant.stripe_account_id : 'stripeAccountId' in tenant ? tenant.stripeAccountId : undefined;
  return account ? { stripeAccount: account } : {};
}

/** Looks the tenant up; `{}` for an unknown tenant or one without a connected account. */
export async function stripeAccountFor(db: Db, tenantId: string): Promise<StripeAccountOptions> {
  const row = await db.selectFrom('tenants').select('stripe_account_id').where('id', '=', tenantId).executeTakeFirst();
  return stripeRequestOptions({ stripe_account_id: row?.stripe_account_id ?? null });
}
