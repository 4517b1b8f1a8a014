import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Db } from '../src/db/connection.js';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
import type { Logger } from '../src/logger.js';

/** What activities that route Stripe events (the missed-event sweep, parked-event replays) are built with. */
export interface EventRoutingDeps {
  db: Db;
  stripe: Stripe;
  temporal?: Client;
  retry?: RetrySchedule;
  log?: Logger;
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** The webhook handlers' context inside an activity: workflows are signalled on this activity's task queue. */
export function routingContext(deps: EventRoutingDeps, activity: string) {
  if (!deps.temporal || !deps.retry) throw new Error(`${activity} needs the Temporal client and the retry schedule`);
  return {
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: Context.current().info.taskQueue,
    retry: deps.retry,
    deadlineMs: 10_000,
    log: deps.log ?? silentLog,
  };
}
