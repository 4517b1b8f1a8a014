import { disconnectTenantAccount } from '../../db/connect.js';
import type { WebhookHandler, WebhookHandlerMap } from '../types.js';

/**
 * The connected account revoked the platform's access (from its Dashboard, or after our own
 * DELETE /v1/connect/stripe). dispatch.ts has already resolved `event.account` to its tenant (events from
 * unknown accounts, including the echo of a disconnect we made ourselves, are acknowledged there). Written
 * straight to the database: nothing to orchestrate, and a redelivery finds nothing left to clear.
 */
const deauthorized: WebhookHandler = async (event, ctx) => {
  if (!event.account || ctx.connectedTenantId === undefined) {
    return { status: 'ignored', reason: 'account.application.deauthorized without a connected account' };
  }
  const cleared = await disconnectTenantAccount(ctx.db, {
    tenantId: ctx.connectedTenantId,
    stripeAccountId: event.account,
    source: 'webhook',
    stripeEventId: event.id,
  });
  ctx.log.info({ eventId: event.id, tenantId: ctx.connectedTenantId, account: event.account, cleared }, 'Stripe account deauthorized the platform');
  return { status: 'ignored', reason: cleared ? `tenant ${ctx.connectedTenantId} disconnected from ${event.account}` : 'already disconnected' };
};

/** account.application.deauthorized → disconnect the tenant's connected account. */
export const connectHandlers: WebhookHandlerMap = {
  'account.application.deauthorized': deauthorized,
};
