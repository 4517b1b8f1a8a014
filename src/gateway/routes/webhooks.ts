import type { Client } from '@temporalio/client';
import express, { type RequestHandler, type Response } from 'express';
import Stripe from 'stripe';
import type { Config } from '../../config.js';
import type { Db } from '../../db/connection.js';
import type { Logger } from '../../logger.js';
import type { GatewayMetrics } from '../../metrics/gateway.js';
import { withWebhookHealth } from '../../metrics/webhook-health.js';
import { isTemporalUnavailable } from '../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { HttpProblem, problems } from '../problem.js';
import { dispatchStripeEvent, webhookHandlers } from '../../webhooks/dispatch.js';
import { revalidateEvent } from '../webhooks/revalidate.js';

export interface WebhookRouteDeps {
  config: Pick<
    Config,
    | 'STRIPE_WEBHOOK_SECRET'
    | 'STRIPE_WEBHOOK_TOLERANCE_SECONDS'
    | 'STRIPE_WEBHOOK_REFETCH'
    | 'STRIPE_API_VERSION'
    | 'WEBHOOK_BODY_LIMIT'
    | 'TEMPORAL_TASK_QUEUE'
    | 'TEMPORAL_RPC_TIMEOUT_MS'
    | 'ACTIVITY_RETRY_BACKOFF'
  >;
  db: Db;
  temporal: Client;
  /** Re-reads event objects in the pinned API version (revalidate.ts); read-only. */
  stripe: Stripe;
  metrics?: GatewayMetrics;
  log: Logger;
}

export const STRIPE_WEBHOOK_PATH = '/v1/webhooks/stripe';

/**
 * Any configured secret may have signed the event: rotation and separate platform/Connect endpoints. Verified with
 * the signature helper itself, because the SDK's constructEvent refuses thin events (`v2.core.event`).
 */
function verifyEvent(payload: string, signature: string, secrets: string[], toleranceSeconds: number): unknown {
  const verifier = Stripe.webhooks.signature!;
  for (const secret of secrets) {
    try {
      verifier.verifyHeader(payload, signature, secret, toleranceSeconds);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) continue;
      throw error;
    }
    try {
      return JSON.parse(payload) as unknown;
    } catch {
      throw new HttpProblem(400, 'invalid_json', 'The signed payload is not valid JSON.');
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

/** The event type as a metric label: Stripe's own lower-case names, anything else (malformed) as one value. */
const typeLabel = (event: unknown): string => {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' && /^[a-z0-9_.]{1,128}$/.test(type) ? type : 'malformed';
};

/** Handlers for POST {@link STRIPE_WEBHOOK_PATH}, mounted on the app itself (no nested router on the hot path). */
export function stripeWebhookHandlers({ config, db, temporal, stripe, log, metrics: counters }: WebhookRouteDeps): RequestHandler[] {
  // The same counts also per hour, for the operator console's webhook health (src/metrics/webhook-health.ts).
  const metrics = withWebhookHealth(counters);
  const retry = retryScheduleFromConfig(config);
  return [
    // The signature covers the exact bytes Stripe sent, so this route alone gets the raw body.
    express.raw({ type: () => true, limit: config.WEBHOOK_BODY_LIMIT }),
    async (req, res, next) => {
      const receivedAt = process.hrtime.bigint();
      let type = 'unverified';
      // Acks are counted as they are written; only errors wait for 'finish' (one listener less per event).
      const count = (outcome: string) => {
        metrics?.webhookEvents.inc({ type, outcome });
        metrics?.webhookAckSeconds.observe({ outcome }, Number(process.hrtime.bigint() - receivedAt) / 1e9);
      };
      try {
        const signature = req.header('stripe-signature');
        if (!signature) throw new HttpProblem(400, 'missing_signature', 'The Stripe-Signature header is required.');
        if (!Buffer.isBuffer(req.body)) throw new HttpProblem(400, 'missing_body', 'The request body is empty.');
        // Decoded once here: given bytes, the SDK would decode them twice (signature, then parse).
        const verified = verifyEvent(req.body.toString('utf8'), signature, config.STRIPE_WEBHOOK_SECRET, config.STRIPE_WEBHOOK_TOLERANCE_SECONDS);
        const requestLog = (res.locals.log as Logger | undefined) ?? log;
        type = typeLabel(verified);
        // A malformed event may be any JSON value (null, a string…): echo its id only when it has one.
        const eventId = typeof (verified as { id?: unknown } | null)?.id === 'string' ? (verified as { id: string }).id : null;
        const revalidated = await revalidateEvent(verified, {
          stripe,
          pinnedVersion: config.STRIPE_API_VERSION,
          mode: config.STRIPE_WEBHOOK_REFETCH,
          handlers: webhookHandlers,
          log: requestLog,
          ...(metrics ? { mismatches: metrics.webhookApiVersionMismatches } : {}),
        });
        if (!revalidated.ok) {
          sendAck(res, { received: true, event_id: eventId, ...revalidated.outcome });
          count(revalidated.outcome.status);
          return;
        }
        const event = revalidated.event;
        try {
          const outcome = await dispatchStripeEvent(event, {
            db,
            temporal,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            retry,
            deadlineMs: config.TEMPORAL_RPC_TIMEOUT_MS,
            log: requestLog,
          });
          sendAck(res, { received: true, event_id: eventId, ...outcome });
          count(outcome.status);
        } catch (error) {
          if (isTemporalUnavailable(error)) {
            requestLog.warn({ eventId: event.id, type: event.type }, 'Temporal unavailable: asking Stripe to redeliver');
            throw problems.unavailable('temporal_unavailable', 'The workflow engine is unreachable; Stripe will redeliver this event.');
          }
          throw error;
        }
      } catch (error) {
        if (error instanceof HttpProblem && (error.code === 'invalid_signature' || error.code === 'missing_signature')) {
          metrics?.webhookSignatureFailures.inc();
        }
        // Counted when the app's error handler has answered, so errors it turns into 503s are counted as such.
        if (metrics) res.once('finish', () => count(res.statusCode === 503 ? 'unavailable' : res.statusCode < 500 ? 'refused' : 'error'));
        next(error);
      }
    },
  ];
}
