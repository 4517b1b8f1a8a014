import type Stripe from 'stripe';
import { findTenantByStripeAccount } from '../db/tenants.js';
import { catalogHandlers } from './handlers/catalog.js';
import { checkoutSessionHandlers } from './handlers/checkout-session.js';
import { paymentHandlers } from './handlers/payments.js';
import { recoveryHandlers } from './handlers/recovery.js';
import { subscriptionHandlers } from './handlers/subscriptions.js';
import { connectHandlers } from './handlers/connect.js';
import { invoiceHandlers } from './handlers/invoices.js';
import { parkEvent } from './park.js';
import { transactionHandlers } from './handlers/transactions.js';
import { eventEnvelope, parseShape } from './shapes.js';
import type { WebhookContext, WebhookHandler, WebhookHandlerMap, WebhookOutcome } from './types.js';

/**
 * Several families may care about one event type (a subscription's invoice is also an invoice): each
 * handler decides whether the event is its own, all of them run, and the event is routed if any routed it.
 */
export function mergeHandlerMaps(...maps: WebhookHandlerMap[]): WebhookHandlerMap {
  const merged: WebhookHandlerMap = {};
  for (const map of maps) {
    for (const [type, handler] of Object.entries(map) as Array<[Stripe.Event.Type, WebhookHandler]>) {
      const previous = merged[type];
      merged[type] = previous
        ? async (event, ctx) => {
            const first = await previous(event, ctx);
            const second = await handler(event, ctx);
            if (first.status !== 'ignored') return first;
            if (second.status !== 'ignored') return second;
            // A malformed verdict leads: it is the one worth reading.
            const reasons = [first.reason, second.reason].sort((a, b) => Number(b.startsWith('malformed')) - Number(a.startsWith('malformed')));
            return { status: 'ignored', reason: reasons.join('; ') };
          }
        : handler;
    }
  }
  return merged;
}

export const webhookHandlers: WebhookHandlerMap = mergeHandlerMaps(
  checkoutSessionHandlers,
  catalogHandlers,
  subscriptionHandlers,
  paymentHandlers,
  connectHandlers,
  invoiceHandlers,
  recoveryHandlers,
  transactionHandlers,
);

/** A deauthorization of an account nobody owns (our own disconnect's echo) is final: nothing to replay later. */
const NEVER_PARKED = new Set<string>(['account.application.deauthorized']);

export async function dispatchStripeEvent(
  event: Stripe.Event,
  ctx: Omit<WebhookContext, 'connectedTenantId'>,
  handlers: WebhookHandlerMap = webhookHandlers,
): Promise<WebhookOutcome> {
  // Verified is not well-formed: the envelope is checked before a handler, the database or Temporal sees it.
  const envelope = parseShape(eventEnvelope, event, 'event', (event ?? {}) as Stripe.Event, ctx.log);
  if (!envelope.ok) return envelope.outcome;
  // Own keys only: a type such as `constructor` must not find Object.prototype's.
  const handler = Object.hasOwn(handlers, event.type) ? handlers[event.type] : undefined;
  if (!handler) {
    ctx.log.debug({ eventId: event.id, type: event.type }, 'unhandled Stripe event type acknowledged');
    return { status: 'ignored', reason: `no handler for ${event.type}` };
  }
  let connectedTenantId: string | undefined;
  if (event.account) {
    connectedTenantId = await findTenantByStripeAccount(ctx.db, event.account);
    if (!connectedTenantId) {
      if (NEVER_PARKED.has(event.type)) return { status: 'ignored', reason: 'unknown connected account' };
      return parkEvent(event, 'unlinked_account', ctx);
    }
  }
  return handler(event, { ...ctx, connectedTenantId });
}
