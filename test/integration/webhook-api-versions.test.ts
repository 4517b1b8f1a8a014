import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { subscriptionWorkflowId, topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import { dispatchStripeEvent, webhookHandlers } from '../../src/webhooks/dispatch.js';
import { revalidateEvent, type RefetchMode } from '../../src/gateway/webhooks/revalidate.js';
import { retryScheduleFromConfig } from '../../src/temporal/retry.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { checkoutSessionEvent, eventId, signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeCall, type StripeProxy } from '../helpers/stripe-proxy.js';
import { legacySubscriptionInvoiceObject, PRICE_ID, subscriptionInvoiceObject, subscriptionObject } from '../helpers/subscription-objects.js';

const PINNED = '2026-10-28.endive';
const LEGACY = '2023-10-16';

let proxy: StripeProxy;
let app: TestApp;

beforeAll(async () => {
  proxy = await startStripeProxy();
  app = await createTestApp(proxy.env);
  await app.startWorker();
  const credits = await api(app, 'PUT', `/v1/admin/prices/${PRICE_ID}/credits`, { key: app.keys.t1Admin, body: { credits_per_cycle: 500 } });
  expect(credits.status).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  return api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
}

const reads = (path: string): StripeCall[] => proxy.calls.filter((call) => call.method === 'GET' && call.path === path);

/** Stripe remembers the object: GETs of `path` answer `object` (in the pinned version's shape). */
function stripeRemembers(path: string, object: Record<string, unknown>): void {
  proxy.patches.push((call) => (call.method === 'GET' && call.path === path ? object : undefined));
}

function thinEvent(type: string, related: { id: string; type: string; url: string }, context: string | null = null): Record<string, unknown> {
  return { id: eventId(), object: 'v2.core.event', type, created: new Date().toISOString(), livemode: false, context, related_object: related };
}

function revalidateDeps(mode: RefetchMode) {
  return { stripe: createStripeClient(app.config), pinnedVersion: PINNED, mode, handlers: webhookHandlers, log: createLogger('silent', 'test') };
}

describe('webhooks in any Stripe API version (real Temporal, PostgreSQL, stripe-mock behind a counting proxy)', () => {
  it('grants a subscription cycle once from an invoice event in the 2023-10-16 shape, the same as from the current shape', async () => {
    const subscriptionId = 'sub_versions_1';
    const created = await deliver(stripeEvent('customer.subscription.created', subscriptionObject(subscriptionId)));
    expect(created.body).toMatchObject({ status: 'routed', workflowId: subscriptionWorkflowId('t1', subscriptionId) });
    expect(reads(`/v1/subscriptions/${subscriptionId}`)).toEqual([]);

    const legacyInvoice = subscriptionInvoiceObject('in_versions_legacy', subscriptionId, 0);
    stripeRemembers('/v1/invoices/in_versions_legacy', legacyInvoice);
    const legacyEvent = stripeEvent('invoice.payment_succeeded', legacySubscriptionInvoiceObject(legacyInvoice), { api_version: LEGACY });
    for (let delivery = 0; delivery < 2; delivery++) {
      const routed = await deliver(legacyEvent);
      expect(routed.status).toBe(200);
      expect(routed.body).toMatchObject({ status: 'routed', workflowId: subscriptionWorkflowId('t1', subscriptionId), event_id: legacyEvent.id });
    }
    // Counted per version (the log line comes once per version).
    expect(await app.metrics.registry.getSingleMetricAsString('payments_webhook_api_version_mismatches_total')).toContain(`payments_webhook_api_version_mismatches_total{api_version="${LEGACY}"} 2`);
    // One read per delivery, in the pinned version, on the platform account.
    expect(reads('/v1/invoices/in_versions_legacy').map(({ version, account }) => ({ version, account }))).toEqual([
      { version: PINNED, account: undefined },
      { version: PINNED, account: undefined },
    ]);

    const current = await deliver(stripeEvent('invoice.payment_succeeded', subscriptionInvoiceObject('in_versions_current', subscriptionId, 1)));
    expect(current.body).toMatchObject({ status: 'routed', workflowId: subscriptionWorkflowId('t1', subscriptionId) });
    expect(reads('/v1/invoices/in_versions_current')).toEqual([]);

    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
      return response.status === 200 && response.body.cycles === 2 ? response.body : undefined;
    }, 'both cycles granted');
    expect(detail).toMatchObject({ id: subscriptionId, cycles: 2, credits_granted: 1000 });
    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    const cycles = ledger.body.data.filter((entry: { kind: string }) => entry.kind === 'subscription_cycle');
    expect(cycles.map((entry: { amount: number; currency: string }) => [entry.amount, entry.currency])).toEqual([
      [500, 'usd'],
      [500, 'usd'],
    ]);
  });

  it('without a re-read (mode never) the legacy shape is "not a subscription invoice" (parked as an invoice without tenant): the case the re-read fixes', async () => {
    const legacyEvent = stripeEvent('invoice.payment_succeeded', legacySubscriptionInvoiceObject(subscriptionInvoiceObject('in_versions_never', 'sub_versions_1', 3)), {
      api_version: LEGACY,
    }) as any;
    const before = proxy.calls.length;
    const trusted = await revalidateEvent(legacyEvent, revalidateDeps('never'));
    expect(trusted).toEqual({ ok: true, event: legacyEvent });
    expect(proxy.calls.length).toBe(before);
    const ctx = { db: app.db, temporal: app.temporal, taskQueue: app.config.TEMPORAL_TASK_QUEUE, retry: retryScheduleFromConfig(app.config), deadlineMs: 5_000, log: createLogger('silent', 'test') };
    expect(await dispatchStripeEvent(legacyEvent, ctx)).toEqual({ status: 'parked', workflowId: 'parked-events:platform' });
  });

  it('credits a top-up once from a thin event for its checkout session, reading the session in the pinned version', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount: 1500, currency: 'usd' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status).toBe(201);
    const sessionId = created.body.checkout_session_id as string;
    const paid = checkoutSessionEvent('checkout.session.completed', { id: sessionId, tenantId: 't1', topUpId: created.body.id, amountTotal: 1500, currency: 'usd' });
    stripeRemembers(`/v1/checkout/sessions/${sessionId}`, (paid.data as { object: Record<string, unknown> }).object);

    const thin = thinEvent('v1.checkout.session.completed', { id: sessionId, type: 'checkout.session', url: `/v1/checkout/sessions/${sessionId}` });
    for (let delivery = 0; delivery < 3; delivery++) {
      const routed = await deliver(thin);
      expect(routed.status).toBe(200);
      expect(routed.body).toMatchObject({ received: true, event_id: thin.id, status: 'routed', workflowId: topUpWorkflowId('t1', created.body.id) });
    }
    expect(reads(`/v1/checkout/sessions/${sessionId}`).map((call) => call.version)).toEqual([PINNED, PINNED, PINNED]);

    await waitFor(async () => {
      const topUp = await api(app, 'GET', `/v1/credits/top-ups/${created.body.id}`, { key: app.keys.t1Admin });
      return topUp.body.status === 'credited' ? true : undefined;
    }, 'top-up credited');
    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    const topUps = ledger.body.data.filter((entry: { kind: string }) => entry.kind === 'top_up');
    expect(topUps.map((entry: { amount: number; currency: string }) => [entry.amount, entry.currency])).toEqual([[1500, 'usd']]);
  });

  it('reads nothing for thin events no handler reads, and reads a connected account\'s object in that account', async () => {
    const before = proxy.calls.length;
    const v2 = await deliver(thinEvent('v2.core.event_destination.ping', { id: 'ed_1', type: 'v2.core.event_destination', url: '/v2/core/event_destinations/ed_1' }));
    expect(v2.body).toMatchObject({ status: 'ignored', reason: 'no handler for v2.core.event_destination.ping' });
    const unhandled = await deliver(thinEvent('v1.customer.created', { id: 'cus_1', type: 'customer', url: '/v1/customers/cus_1' }));
    expect(unhandled.body).toMatchObject({ status: 'ignored', reason: 'no handler for v1.customer.created' });
    const malformed = await deliver({ ...thinEvent('v1.checkout.session.completed', { id: 'cs_1', type: 'checkout.session', url: '/v1/checkout/sessions/cs_1' }), created: 'yesterday' });
    expect(malformed.body).toMatchObject({ status: 'ignored', reason: 'malformed thin event: created' });
    expect(proxy.calls.length).toBe(before);

    const connected = await deliver(thinEvent('v1.checkout.session.completed', { id: 'cs_versions_acct', type: 'checkout.session', url: '/v1/checkout/sessions/cs_versions_acct' }, 'acct_versions_unlinked'));
    expect(connected.body).toMatchObject({ status: 'parked', workflowId: 'parked-events:acct_versions_unlinked' });
    expect(reads('/v1/checkout/sessions/cs_versions_acct').map((call) => call.account)).toEqual(['acct_versions_unlinked']);
  });

  it('re-reads with matching versions only in mode always, keeps a deleted object\'s own data, and answers 503 when Stripe is down', async () => {
    const matching = stripeEvent('price.updated', { ...stripeFixture('price'), id: 'price_versions_always' }) as any;
    expect(await revalidateEvent(matching, revalidateDeps('auto'))).toEqual({ ok: true, event: matching });
    expect(reads('/v1/prices/price_versions_always')).toHaveLength(0);
    const always = await revalidateEvent(matching, revalidateDeps('always'));
    expect(always.ok).toBe(true);
    expect(reads('/v1/prices/price_versions_always').map((call) => call.version)).toEqual([PINNED]);

    proxy.answers.push((call) =>
      call.path === '/v1/products/prod_versions_gone'
        ? { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such product' } } }
        : undefined,
    );
    const deleted = stripeEvent('product.deleted', { id: 'prod_versions_gone', object: 'product', deleted: true }, { api_version: LEGACY }) as any;
    expect(await revalidateEvent(deleted, revalidateDeps('auto'))).toEqual({ ok: true, event: deleted });
    const acknowledged = await deliver(deleted);
    expect(acknowledged.status).toBe(200);
    expect(reads('/v1/products/prod_versions_gone')).toHaveLength(2);

    proxy.answers.push((call) =>
      call.path === '/v1/invoices/in_versions_down' ? { status: 500, body: { error: { type: 'api_error', message: 'Stripe is down' } } } : undefined,
    );
    const down = stripeEvent('invoice.payment_succeeded', legacySubscriptionInvoiceObject(subscriptionInvoiceObject('in_versions_down', 'sub_versions_1', 4)), {
      api_version: LEGACY,
    });
    const unavailable = await deliver(down);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toMatchObject({ code: 'stripe_unavailable' });
    expect(unavailable.headers.get('retry-after')).toBe('5');
  });
});
