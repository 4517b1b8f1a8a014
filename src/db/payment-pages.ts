import type { DbExecutor } from './schema.js';

/** Where a tenant's customers land after a Checkout Session or Payment Link (set by an admin). */
export interface PaymentPages {
  successUrl: string;
  cancelUrl: string;
  updatedAt: string;
}

export async function findPaymentPages(db: DbExecutor, tenantId: string): Promise<PaymentPages | undefined> {
  const row = await db.selectFrom('tenant_payment_pages').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return row ? { successUrl: row.success_url, cancelUrl: row.cancel_url, updatedAt: row.updated_at.toISOString() } : undefined;
}

/** Inserts or replaces the tenant's pages; the caller has validated the URLs. */
export async function savePaymentPages(db: DbExecutor, tenantId: string, pages: { successUrl: string; cancelUrl: string }): Promise<PaymentPages> {
  const values = { success_url: pages.successUrl, cancel_url: pages.cancelUrl, updated_at: new Date() };
  const row = await db
    .insertInto('tenant_payment_pages')
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return { successUrl: row.success_url, cancelUrl: row.cancel_url, updatedAt: row.updated_at.toISOString() };
}
