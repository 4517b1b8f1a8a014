import type { Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';
import type { RetrySchedule } from '../domain/retry/schedule.js';

export interface WebhookContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  retry: RetrySchedule;
  /** Tenant owning the connected account the event came from; undefined for platform events. */
  connectedTenantId?: string;
  /** Deadline for the Temporal call, so Stripe gets a 503 before its own timeout. */
  deadlineMs: number;
  log: Logger;
}

export type WebhookOutcome =
  | { status: 'routed'; workflowId: string }
  /** Kept by the account's holding workflow until it can be routed (src/webhooks/park.ts). */
  | { status: 'parked'; workflowId: string }
  | { status: 'ignored'; reason: string };

export type WebhookHandler = (event: Stripe.Event, ctx: WebhookContext) => Promise<WebhookOutcome>;

/** One module per event family exports one of these; the router merges them. */
export type WebhookHandlerMap = Partial<Record<Stripe.Event.Type, WebhookHandler>>;
