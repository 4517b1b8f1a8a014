import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerGatewayMetrics } from '../../src/metrics/gateway.js';
import { WebhookHealth, webhookHealthFor, withWebhookHealth } from '../../src/metrics/webhook-health.js';

const HOUR = 60 * 60 * 1000;
const start = Date.parse('2026-03-04T10:15:00Z');

describe('WebhookHealth (per-hour ring of webhook outcomes)', () => {
  it('counts per UTC hour, shows the last 24 hours and the current one, and forgets older hours', () => {
    let now = start;
    const health = new WebhookHealth(() => now);
    health.recordEvent('routed', true);
    health.recordEvent('routed', true);
    health.recordSignatureFailure();
    health.recordEvent('refused', false);
    now = start + 2 * HOUR;
    health.recordEvent('ignored', true);

    const snapshot = health.snapshot();
    expect(snapshot.hours).toHaveLength(25);
    expect(snapshot.hours.at(-1)).toEqual({ hour: '2026-03-04T12:00:00.000Z', outcomes: { ignored: 1 }, signature_failures: 0 });
    expect(snapshot.hours.at(-3)).toEqual({ hour: '2026-03-04T10:00:00.000Z', outcomes: { refused: 1, routed: 2 }, signature_failures: 1 });
    expect(snapshot.hours.at(-2)).toEqual({ hour: '2026-03-04T11:00:00.000Z', outcomes: {}, signature_failures: 0 });
    expect(snapshot).toMatchObject({ signature_failures: 1, last_event_at: '2026-03-04T12:15:00.000Z', last_verified_event_at: '2026-03-04T12:15:00.000Z' });

    now = start + 25 * HOUR;
    health.recordEvent('refused', false);
    const later = health.snapshot();
    expect(later.hours.some((hour) => hour.outcomes.routed)).toBe(false);
    expect(later.signature_failures).toBe(0);
    expect(later.last_verified_event_at).toBe('2026-03-04T12:15:00.000Z');
    expect(later.last_event_at).toBe('2026-03-05T11:15:00.000Z');
  });

  it('is fed by the gateway counters it wraps, which still count as before', async () => {
    const registry = new Registry();
    const metrics = registerGatewayMetrics(registry);
    const tapped = withWebhookHealth(metrics)!;
    tapped.webhookEvents.inc({ type: 'invoice.paid', outcome: 'routed' });
    tapped.webhookEvents.inc({ type: 'unverified', outcome: 'refused' });
    tapped.webhookSignatureFailures.inc();

    const snapshot = webhookHealthFor(metrics).snapshot();
    expect(snapshot.hours.at(-1)!.outcomes).toEqual({ refused: 1, routed: 1 });
    expect(snapshot.signature_failures).toBe(1);
    expect(snapshot.last_verified_event_at).not.toBeNull();
    const text = await registry.metrics();
    expect(text).toContain('payments_webhook_events_total{type="invoice.paid",outcome="routed"} 1');
    expect(text).toContain('payments_webhook_signature_failures_total 1');
    expect(withWebhookHealth(undefined)).toBeUndefined();
  });
});
