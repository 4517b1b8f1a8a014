import type { Client } from '@temporalio/client';
import express, { type RequestHandler, type Response } from 'express';
import Stripe from 'stripe';
import type { Config } from '../../config.js';
import type { Db } from '../../db/connection.js';
import type { Logger } from '../../logger.js';
import { isTemporalUnavailable } from '../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { HttpProblem, problems } from '../problem.js';
import { dispatchStripeEvent } from '../webhooks/dispatch.js';

export interface WebhookRouteDeps {
  config: Pick<Config, 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_WEBHOOK_TOLERANCE_SECONDS' | 'WEBHOOK_BODY_LIMIT' | 'TEMPORAL_TASK_QUEUE' | 'TEMPORAL_RPC_TIMEOUT_MS' | 'ACTIVITY_RETRY_BACKOFF'>;
  db: Db;
  temporal: Client;
  log: Logger;
}

export const STRIPE_WEBHOOK_PATH = '/v1/webhooks/stripe';

/** Any configured secret may have signed the event: rotation and separate platform/Connect endpoints. */
function verifyEvent(payload: string, signature: string, secrets: string[], toleranceSeconds: number): Stripe.Event {
  for (const secret of secrets) {
    try {
      return Stripe.webhooks.constructEvent(payload, signature, secret, toleranceSeconds);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) continue;
      if (error instanceof SyntaxError) throw new HttpProblem(400, 'invalid_json', 'The signed payload is not valid JSON.');
      throw error;
    }
  }
  throw new HttpProblem(400, 'invalid_signature', 'No configured webhook secret verifies this Stripe-Signature (bad, stale or tampered).');
}

/** A plain JSON write: the ingest hot path skips res.json's ETag hashing, which a webhook sender never uses. */
function sendAck(res: Response, body: object): void {
  const json = JSON.stringify(body);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** Handlers for POST {@link STRIPE_WEBHOOK_PATH}, mounted on the app itself (no nested router on the hot path). */
export function stripeWebhookHandlers({ config, db, temporal, log }: WebhookRouteDeps): RequestHandler[] {
  const retry = retryScheduleFromConfig(config);
  return [
    // The signature covers the exact bytes Stripe sent, so this route alone gets the raw body.
    express.raw({ type: () => true, limit: config.WEBHOOK_BODY_LIMIT }),
    async (req, res, next) => {
      try {
        const signature = req.header('stripe-signature');
        if (!signature) throw new HttpProblem(400, 'missing_signature', 'The Stripe-Signature header is required.');
        if (!Buffer.isBuffer(req.body)) throw new HttpProblem(400, 'missing_body', 'The request body is empty.');
        // Decoded once here: given bytes, the SDK would decode them twice (signature, then parse).
        const event = verifyEvent(req.body.toString('utf8'), signature, config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
        const requestLog = (res.locals.log as Logger | undefined) ?? log;
        try {
          const outcome = await dispatchStripeEvent(event, {
            db,
            temporal,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            retry,
            deadlineMs: config.TEMPORAL_RPC_TIMEOUT_MS,
            log: requestLog,
          });
          // A malformed event may be any JSON value (null, a string…): echo its id only when it has one.
          const eventId = typeof (event as { id?: unknown } | null)?.id === 'string' ? event.id : null;
          sendAck(res, { received: true, event_id: eventId, ...outcome });
        } catch (error) {
          if (isTemporalUnavailable(error)) {
            requestLog.warn({ eventId: event.id, type: event.type }, 'Temporal unavailable: asking Stripe to redeliver');
            throw problems.unavailable('temporal_unavailable', 'The workflow engine is unreachable; Stripe will redeliver this event.');
          }
          throw error;
        }
      } catch (error) {
        next(error);
      }
    },
  ];
}
