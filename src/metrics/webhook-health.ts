import type { Counter } from 'prom-client';
import type { GatewayMetrics } from './gateway.js';

const HOUR_MS = 60 * 60 * 1000;
/** The current hour and the 24 before it. */
const HOURS_KEPT = 25;

interface HourBucket {
  /** Start of the hour, ms since the epoch (UTC). */
  hour: number;
  outcomes: Map<string, number>;
  signatureFailures: number;
}

export interface WebhookHealthSnapshot {
  hours: Array<{ hour: string; outcomes: Record<string, number>; signature_failures: number }>;
  last_event_at: string | null;
  last_verified_event_at: string | null;
  signature_failures: number;
  since: string;
}

/**
 * Stripe webhook requests per hour by outcome, the last one received and signature failures, for the operator
 * console: a ring of per-hour counts in this gateway process, fed where the prom-client counters are (the counters
 * are cumulative and not per hour). Platform-level (a webhook's tenant is unknown until it is routed), per process
 * (each gateway replica counts its own requests), and empty again after a restart: Prometheus keeps the history.
 */
export class WebhookHealth {
  private readonly buckets: HourBucket[] = [];
  private lastEventAt: number | null = null;
  private lastVerifiedAt: number | null = null;
  private readonly since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  private bucket(): HourBucket {
    const hour = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    let current = this.buckets.at(-1);
    if (!current || current.hour !== hour) {
      current = { hour, outcomes: new Map(), signatureFailures: 0 };
      this.buckets.push(current);
      while (this.buckets.length > 0 && this.buckets[0]!.hour <= hour - HOURS_KEPT * HOUR_MS) this.buckets.shift();
    }
    return current;
  }

  /** One answered webhook request (outcome as in payments_webhook_events_total). */
  recordEvent(outcome: string, verified: boolean): void {
    const bucket = this.bucket();
    bucket.outcomes.set(outcome, (bucket.outcomes.get(outcome) ?? 0) + 1);
    this.lastEventAt = this.now();
    if (verified) this.lastVerifiedAt = this.lastEventAt;
  }

  recordSignatureFailure(): void {
    this.bucket().signatureFailures++;
  }

  /** The last 24 hours plus the current one, oldest first, every hour present (zeros when nothing came). */
  snapshot(): WebhookHealthSnapshot {
    const current = Math.floor(this.now() / HOUR_MS) * HOUR_MS;
    const byHour = new Map(this.buckets.map((bucket) => [bucket.hour, bucket]));
    const hours = [];
    let failures = 0;
    for (let index = HOURS_KEPT - 1; index >= 0; index--) {
      const hour = current - index * HOUR_MS;
      const bucket = byHour.get(hour);
      failures += bucket?.signatureFailures ?? 0;
      hours.push({
        hour: new Date(hour).toISOString(),
        outcomes: Object.fromEntries([...(bucket?.outcomes ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b))),
        signature_failures: bucket?.signatureFailures ?? 0,
      });
    }
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return { hours, last_event_at: iso(this.lastEventAt), last_verified_event_at: iso(this.lastVerifiedAt), signature_failures: failures, since: new Date(this.since).toISOString() };
  }
}

const rings = new WeakMap<GatewayMetrics, WebhookHealth>();

/** The ring of one gateway's metrics (createApp's `metrics.gateway`), created on first use. */
export function webhookHealthFor(metrics: GatewayMetrics): WebhookHealth {
  let ring = rings.get(metrics);
  if (!ring) {
    ring = new WebhookHealth();
    rings.set(metrics, ring);
  }
  return ring;
}

/** The counter, with `inc` also calling `also` first. */
function tap<T extends string>(counter: Counter<T>, also: (labels: Partial<Record<T, string | number>> | undefined) => void): Counter<T> {
  // One wrapper for the counter's life, not one per `inc` read: every webhook request reads it.
  const inc = (labels?: Partial<Record<T, string | number>> | number, value?: number) => {
    also(typeof labels === 'object' ? labels : undefined);
    return typeof labels === 'object' ? counter.inc(labels, value) : counter.inc(labels);
  };
  return new Proxy(counter, {
    get(target, property) {
      if (property === 'inc') return inc;
      const member = Reflect.get(target, property, target) as unknown;
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
  });
}

/**
 * The webhook route's counters, also feeding {@link webhookHealthFor}(metrics): every answered request (its
 * outcome; verified when its type label is a real event type) and every signature failure.
 */
export function withWebhookHealth(metrics: GatewayMetrics | undefined): GatewayMetrics | undefined {
  if (!metrics) return undefined;
  const ring = webhookHealthFor(metrics);
  return {
    ...metrics,
    webhookEvents: tap(metrics.webhookEvents, (labels) => ring.recordEvent(String(labels?.outcome ?? 'unknown'), labels?.type !== 'unverified')),
    webhookSignatureFailures: tap(metrics.webhookSignatureFailures, () => ring.recordSignatureFailure()),
  };
}
