import { Context } from '@temporalio/activity';
import type Stripe from 'stripe';
import { findSweepCursor, PLATFORM_ACCOUNT, saveSweepCursor } from '../src/db/event-cursors.js';
import { planSweep, sweepFrom } from '../src/domain/stripe-events/sweep.js';
// The sweep is a second way in for Stripe events: it must route them exactly as the webhook does.
import { dispatchStripeEvent } from '../src/webhooks/dispatch.js';
import { routingContext, type EventRoutingDeps } from './event-routing.js';

export type EventSweepDeps = EventRoutingDeps;

export interface EventSweepInput {
  /** A connected account id, or `platform`. */
  account: string;
  /** How far back a first sweep of this account looks (later sweeps start at the cursor). */
  initialLookbackSeconds: number;
}

export interface EventSweepResult {
  listed: number;
  dispatched: number;
  routed: number;
  ignored: number;
}

/** Saving the cursor every so many events bounds what a crash mid-sweep dispatches again (harmless, but work). */
const CURSOR_EVERY = 50;

export function createEventSweepActivities(deps: EventSweepDeps) {
  return {
    /**
     * Finds Stripe events this account's webhooks never delivered (endpoint down past Stripe's 3-day retries, or an
     * event Stripe failed to send) and routes them through the webhook handler map. Routing is idempotent: workflows
     * dedupe by event id and every effect has a database key, so an event seen twice changes nothing.
     */
    async sweepStripeEvents({ account, initialLookbackSeconds }: EventSweepInput): Promise<EventSweepResult> {
      const connected = account !== PLATFORM_ACCOUNT;
      let cursor = await findSweepCursor(deps.db, account);
      const from = sweepFrom(cursor, Math.floor(Date.now() / 1000), initialLookbackSeconds);
      const listed: Stripe.Event[] = [];
      for await (const event of deps.stripe.events.list({ created: { gte: from }, limit: 100 }, connected ? { stripeAccount: account } : {})) {
        listed.push(event);
        if (listed.length % 100 === 0) Context.current().heartbeat({ listed: listed.length });
      }
      const byId = new Map(listed.map((event) => [event.id, event]));
      const plan = planSweep(cursor, listed.map(({ id, created }) => ({ id, created })));
      const ctx = routingContext(deps, 'sweepStripeEvents');
      const result: EventSweepResult = { listed: listed.length, dispatched: 0, routed: 0, ignored: 0 };
      for (const [index, planned] of plan.dispatch.entries()) {
        const event = byId.get(planned.id)!;
        // Listed through the connected account itself, an event may not name it; the webhook's copy would.
        const routed = await dispatchStripeEvent(connected && !event.account ? { ...event, account } : event, ctx);
        result.dispatched++;
        if (routed.status === 'routed') result.routed++;
        else result.ignored++;
        cursor = planSweep(cursor, [planned]).next;
        if ((index + 1) % CURSOR_EVERY === 0 && cursor) {
          await saveSweepCursor(deps.db, account, cursor);
          Context.current().heartbeat({ dispatched: result.dispatched });
        }
      }
      if (plan.next) await saveSweepCursor(deps.db, account, plan.next);
      return result;
    },
  };
}
