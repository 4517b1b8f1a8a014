import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Stripe from 'stripe';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { api, type ApiResponse, type TestApp } from './app-context.js';

type Fixtures = { resources: Record<string, Record<string, unknown>> };
let fixtures: Fixtures | undefined;

/** Stripe's own example objects (../shared/stripe/fixtures3.json), so events have the real shape. */
export function stripeFixture(resource: string): Record<string, any> {
  fixtures ??= JSON.parse(readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'stripe', 'fixtures3.json'), 'utf8')) as Fixtures;
  const object = fixtures.resources[resource];
  if (!object) throw new Error(`no fixture for ${resource}`);
  return structuredClone(object);
}

export function eventId(): string {
  return `evt_test_${randomBytes(12).toString('hex')}`;
}

/** Wraps an object in Stripe's event envelope, as Stripe (or `stripe listen`) would deliver it. */
export function stripeEvent(type: string, object: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...stripeFixture('event'),
    id: eventId(),
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
    ...overrides,
  };
}

export function checkoutSessionEvent(
  type: string,
  session: { id: string; tenantId: string; topUpId: string; amountTotal: number; currency: string; paymentStatus?: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const object = {
    ...stripeFixture('checkout.session'),
    id: session.id,
    mode: 'payment',
    status: type === 'checkout.session.expired' ? 'expired' : 'complete',
    payment_status: session.paymentStatus ?? (type === 'checkout.session.expired' ? 'unpaid' : 'paid'),
    amount_total: session.amountTotal,
    amount_subtotal: session.amountTotal,
    currency: session.currency,
    client_reference_id: session.topUpId,
    metadata: { purpose: 'top_up', tenant_id: session.tenantId, top_up_id: session.topUpId },
  };
  return stripeEvent(type, object, overrides);
}

/** The Stripe-Signature header Stripe would send, optionally for a past moment (stale) or another secret. */
export function signatureFor(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
}

/** Posts a Stripe event to the gateway's webhook route, signed with the app's first secret; expects 200. */
export async function deliverStripeEvent(app: Pick<TestApp, 'baseUrl' | 'config'>, event: Record<string, unknown>): Promise<ApiResponse> {
  const payload = JSON.stringify(event);
  const response = await api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response;
}
