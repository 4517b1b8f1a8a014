import type { WebhookContext } from './types.js';

/**
 * A platform event names its tenant in metadata only. Workflows that write rows keyed by that tenant (invoices,
 * subscriptions, excess payments) cannot apply an event naming a tenant that does not exist (foreign key), so
 * such an event is acknowledged and ignored here instead of being signalled.
 */
export async function tenantExists(ctx: WebhookContext, tenantId: string): Promise<boolean> {
  if (ctx.connectedTenantId !== undefined) return ctx.connectedTenantId === tenantId;
  const row = await ctx.db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
  return row !== undefined;
}
