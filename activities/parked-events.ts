import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import { PLATFORM_ACCOUNT } from '../src/db/event-cursors.js';
import { findTenantByStripeAccount } from '../src/db/tenants.js';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
import type { Logger } from '../src/logger.js';
// Held events are replayed exactly as the webhook would have routed them.
import { dispatchStripeEvent } from '../src/webhooks/dispatch.js';
import type { ReplaySummary } from '../src/domain/stripe-events/parked.js';

export interface ParkedEventDeps {
  db: Db;
  stripe: Stripe;
  temporal?: Client;
  retry?: RetrySchedule;
  log?: Logger;
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

export function createParkedEventActivities(deps: ParkedEventDeps) {
  return {
    /** The tenant a connected account belongs to now, if any (the holding workflow's check when no link signal came). */
    async findAccountTenant({ account }: { account: string }): Promise<string | null> {
      return (await findTenantByStripeAccount(deps.db, account)) ?? null;
    },

    /** Reads each held event from Stripe (in the pinned API version) and routes it through the webhook handler map. */
    async replayParkedEvents({ account, eventIds }: { account: string; eventIds: string[] }): Promise<ReplaySummary> {
      if (!deps.temporal || !deps.retry) throw new Error('replayParkedEvents needs the Temporal client and the retry schedule');
      const ctx = {
        db: deps.db,
        temporal: deps.temporal,
        taskQueue: Context.current().info.taskQueue,
        retry: deps.retry,
        deadlineMs: 10_000,
        log: deps.log ?? silentLog,
      };
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
