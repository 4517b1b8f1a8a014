import type Stripe from 'stripe';
import { findTenantByStripeAccount } from '../../db/tenants.js';
import { catalogHandlers } from './handlers/catalog.js';
import { checkoutSessionHandlers } from './handlers/checkout-session.js';
import { paymentHandlers } from './handlers/payments.js';
import { subscriptionHandlers } from './handlers/subscriptions.js';
import type { WebhookContext, WebhookHandlerMap, WebhookOutcome } from './types.js';

export const webhookHandlers: WebhookHandlerMap = {
  ...checkoutSessionHandlers,
  ...catalogHandlers,
  ...subscriptionHandlers,
  ...paymentHandlers,
};

export async function dispatchStripeEvent(
  event: Stripe.Event,
  ctx: Omit<WebhookContext, 'connectedTenantId'>,
  handlers: WebhookHandlerMap = webhookHandlers,
): Promise<WebhookOutcome> {
  const handler = handlers[event.type];
  if (!handler) {
    ctx.log.debug({ eventId: event.id, type: event.type }, 'unhandled Stripe event type acknowledged');
    return { status: 'ignored', reason: `no handler for ${event.type}` };
  }
  let connectedTenantId: string | undefined;
  if (event.account) {
    connectedTenantId = await findTenantByStripeAccount(ctx.db, event.account);
    if (!connectedTenantId) {
      ctx.log.info({ eventId: event.id, account: event.account }, 'event from an unknown connected account acknowledged');
      return { status: 'ignored', reason: 'unknown connected account' };
    }
  }
  return handler(event, { ...ctx, connectedTenantId });
}
