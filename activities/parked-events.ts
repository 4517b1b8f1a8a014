import { Context } from '@temporalio/activity';
import Stripe from 'stripe';
import { PLATFORM_ACCOUNT } from '../src/db/event-cursors.js';
import { findTenantByStripeAccount } from '../src/db/tenants.js';
// Held events are replayed exactly as the webhook would have routed them.
import { dispatchStripeEvent } from '../src/webhooks/dispatch.js';
import { routingContext, type EventRoutingDeps } from './event-routing.js';
import type { ReplaySummary } from '../src/domain/stripe-events/parked.js';

export type ParkedEventDeps = EventRoutingDeps;

export function createParkedEventActivities(deps: ParkedEventDeps) {
  return {
    /** The tenant a connected account belongs to now, if any (the holding workflow's check when no link signal came). */
    async findAccountTenant({ account }: { account: string }): Promise<string | null> {
      return (await findTenantByStripeAccount(deps.db, account)) ?? null;
    },

    /** Reads each held event from Stripe (in the pinned API version) and routes it through the webhook handler map. */
    async replayParkedEvents({ account, eventIds }: { account: string; eventIds: string[] }): Promise<ReplaySummary> {
      const ctx = routingContext(deps, 'replayParkedEvents');
      const options = account === PLATFORM_ACCOUNT ? {} : { stripeAccount: account };
      const summary: ReplaySummary = { replayed: 0, routed: 0, ignored: 0, missing: 0 };
      for (const eventId of eventIds) {
        let event: Stripe.Event;
        try {
          event = await deps.stripe.events.retrieve(eventId, {}, options);
        } catch (error) {
          if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) {
            summary.missing++;
            continue;
          }
          throw error;
        }
        const routed = await dispatchStripeEvent(account === PLATFORM_ACCOUNT || event.account ? event : { ...event, account }, ctx);
        summary.replayed++;
        if (routed.status === 'routed') summary.routed++;
        else summary.ignored++;
        Context.current().heartbeat({ replayed: summary.replayed });
      }
      return summary;
    },
  };
}
