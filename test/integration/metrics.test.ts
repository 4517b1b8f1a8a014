/** Metrics move as a flow runs: webhook ingest in the gateway, money read from the ledger tables, per tenant. */
import { describe, expect, it } from 'vitest';
import { api, FRONTEND_ORIGIN, waitFor, type TestApp, useTestApp } from '../helpers/app-context.js';
import { checkoutSessionEvent, signatureFor } from '../helpers/stripe-events.js';

let app: TestApp;
useTestApp((started) => (app = started));

/** One sample's value from Prometheus text, 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(' ')[0]!;
    if (wanted.every((pair) => labelText.includes(pair))) return Number(line.split(' ').pop());
  }
  return 0;
}

const platform = () => app.metrics.registry.metrics();

async function deliver(event: Record<string, unknown>, signature?: string) {
  const payload = JSON.stringify(event);
  return api(app, 'POST', '/v1/webhooks/stripe', { rawBody: payload, headers: { 'stripe-signature': signature ?? signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) } });
}

describe('metrics (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('counts webhook events by type and outcome, their ack time, and signature failures', async () => {
    const before = await platform();
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount: 1200, currency: 'eur' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status).toBe(201);
    const event = checkoutSessionEvent('checkout.session.completed', { id: created.body.checkout_session_id, tenantId: 't1', topUpId: created.body.id, amountTotal: 1200, currency: 'eur' });
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(event, 't=1,v1=forged')).status).toBe(400);

    const after = await platform();
    const routed = { type: 'checkout.session.completed', outcome: 'routed' };
    expect(sample(after, 'payments_webhook_events_total', routed) - sample(before, 'payments_webhook_events_total', routed)).toBe(2);
    expect(sample(after, 'payments_webhook_ack_seconds_count', { outcome: 'routed' }) - sample(before, 'payments_webhook_ack_seconds_count', { outcome: 'routed' })).toBe(2);
    expect(sample(after, 'payments_webhook_signature_failures_total') - sample(before, 'payments_webhook_signature_failures_total')).toBe(1);
    const refused = { type: 'unverified', outcome: 'refused' };
    expect(sample(after, 'payments_webhook_events_total', refused) - sample(before, 'payments_webhook_events_total', refused)).toBe(1);

    // Money comes from the ledger tables once the workflow credited it.
    await waitFor(async () => {
      const text = await platform();
      return sample(text, 'payments_payments_total', { flow: 'top_up', currency: 'eur', outcome: 'succeeded' }) === 1 ? true : undefined;
    }, 'the top-up counted as a succeeded payment');
    const money = await platform();
    expect(sample(money, 'payments_payments_minor_units_total', { flow: 'top_up', currency: 'eur', outcome: 'succeeded' })).toBe(1200);
    expect(sample(money, 'payments_credits_minor_units_total', { kind: 'top_up', currency: 'eur', direction: 'issued' })).toBe(1200);
    expect(sample(money, 'payments_needs_attention_workflows')).toBe(0);
    expect(sample(money, 'payments_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('GET /metrics answers a tenant admin its own tenant only, and nobody else', async () => {
    const t1 = await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${app.keys.t1Admin}` } });
    expect(t1.status).toBe(200);
    const t1Text = await t1.text();
    expect(sample(t1Text, 'payments_credits_minor_units_total', { kind: 'top_up', currency: 'eur', direction: 'issued' })).toBe(1200);
    // Webhook and process metrics are the operator's (METRICS_PORT), not a tenant's.
    expect(t1Text).not.toContain('payments_webhook_events_total');

    const t2 = await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${app.keys.t2Admin}` } });
    expect(sample(await t2.text(), 'payments_credits_minor_units_total', { kind: 'top_up', currency: 'eur', direction: 'issued' })).toBe(0);
    expect((await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: `Bearer ${app.keys.t1Member}` } })).status).toBe(403);
    expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(401);
  });
});
