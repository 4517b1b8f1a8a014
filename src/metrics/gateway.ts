import { Counter, Histogram, type Registry } from 'prom-client';

/** What the gateway process itself observes: webhook ingest and the 503s it answers. */
export interface GatewayMetrics {
  webhookEvents: Counter<'type' | 'outcome'>;
  webhookAckSeconds: Histogram<'outcome'>;
  webhookSignatureFailures: Counter;
  webhookApiVersionMismatches: Counter<'api_version'>;
  unavailable: Counter<'code'>;
}

export function registerGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    webhookEvents: new Counter({
      name: 'payments_webhook_events_total',
      help: 'Verified Stripe webhook events by type and outcome (routed, ignored, unavailable).',
      labelNames: ['type', 'outcome'],
      registers,
    }),
    webhookAckSeconds: new Histogram({
      name: 'payments_webhook_ack_seconds',
      help: 'Time from receiving a Stripe webhook to answering it, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    webhookSignatureFailures: new Counter({
      name: 'payments_webhook_signature_failures_total',
      help: 'Stripe webhook requests refused for a missing, bad, stale or tampered signature.',
      registers,
    }),
    webhookApiVersionMismatches: new Counter({
      name: 'payments_webhook_api_version_mismatches_total',
      help: 'Webhook events shaped by another Stripe API version than the pinned one (their objects are re-read).',
      labelNames: ['api_version'],
      registers,
    }),
    unavailable: new Counter({
      name: 'payments_http_unavailable_total',
      help: '503 answers by problem code (stripe_unavailable, temporal_unavailable, database_unavailable, upstream_timeout).',
      labelNames: ['code'],
      registers,
    }),
  };
}
