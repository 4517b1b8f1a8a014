import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopUpActivities } from '../../activities/top-up.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import { topUpStateQuery } from '../../workflows/top-up/messages.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { checkoutSessionEvent, deliverStripeEvent, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';

let proxy: StripeProxy;
let app: TestApp;

beforeAll(async () => {
  proxy = await startStripeProxy();
  // stripe-mock answers every create with the same fixture id; a real Stripe gives each PaymentIntent its own.
  proxy.patches.push((call) =>
    call.method === 'POST' && call.path === '/v1/payment_intents' ? { id: `pi_test_${randomBytes(8).toString('hex')}` } : undefined,
  );
  app = await createTestApp(proxy.env);
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

function paymentIntentSucceeded(intent: { id: string; topUpId: string; amount: number; amountReceived: number; currency: string }) {
  return stripeEvent('payment_intent.succeeded', {
    ...stripeFixture('payment_intent'),
    id: intent.id,
    status: 'succeeded',
    amount: intent.amount,
    amount_received: intent.amountReceived,
    currency: intent.currency,
    last_payment_error: null,
    metadata: { purpose: 'top_up', tenant_id: 't1', top_up_id: intent.topUpId },
  });
}

async function topUpStatus(id: string): Promise<string> {
  return (await api(app, 'GET', `/v1/credits/top-ups/${id}`, { key: app.keys.t1Admin })).body.status;
}

async function ledgerRows(topUpId: string) {
  return app.db.selectFrom('credit_ledger').select(['amount', 'currency', 'kind']).where('source_key', '=', `top_up:${topUpId}`).execute();
}

async function waitForClose(topUpId: string): Promise<void> {
  const handle = app.temporal.workflow.getHandle(topUpWorkflowId('t1', topUpId));
  await waitFor(async () => ((await handle.describe()).status.name === 'RUNNING' ? undefined : true), `${topUpId} workflow to close`);
}

describe('Elements top-ups: a PaymentIntent through the TopUp workflow (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('creates the PaymentIntent with the business idempotency key and credits amount_received exactly once', async () => {
    const key = `elements-${randomBytes(4).toString('hex')}`;
    const request = { key: app.keys.t1Admin, body: { amount: 1500, currency: 'usd', mode: 'payment_intent' }, headers: { 'idempotency-key': key } };
    // No Origin: Elements confirms in the caller's page, there is no return URL to check.
    const created = await api(app, 'POST', '/v1/credits/top-ups', request);
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['client_secret', 'id', 'payment_intent_id']);
    expect(created.body.id).toMatch(/^tu_[0-9a-f]{32}$/);
    expect(created.body.payment_intent_id).toMatch(/^pi_/);
    expect(created.body.client_secret).toEqual(expect.any(String));
    const topUpId: string = created.body.id;

    const again = await api(app, 'POST', '/v1/credits/top-ups', request);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(created.body);

    const creates = proxy.calls.filter((call) => call.method === 'POST' && call.path === '/v1/payment_intents' && call.form['metadata[top_up_id]'] === topUpId);
    expect(creates).toHaveLength(1);
    expect(creates[0]!.idempotencyKey).toBe(`topup:t1:${topUpId}:payment-intent`);
    expect(creates[0]!.form).toMatchObject({
      amount: '1500',
      currency: 'usd',
      'metadata[purpose]': 'top_up',
      'metadata[tenant_id]': 't1',
      'metadata[top_up_id]': topUpId,
    });
    expect(await topUpStatus(topUpId)).toBe('pending');

    // Stripe reports less than asked (e.g. a currency adjustment): amount_received is what is credited.
    const intent = { id: created.body.payment_intent_id, topUpId, amount: 1500, amountReceived: 1490, currency: 'usd' };
    const succeeded = paymentIntentSucceeded(intent);
    for (let i = 0; i < 2; i++) {
      expect((await deliverStripeEvent(app, succeeded)).body).toMatchObject({ status: 'routed', workflowId: topUpWorkflowId('t1', topUpId) });
    }
    // Another event for the same payment, and a Checkout event naming the same top-up: still one credit.
    await deliverStripeEvent(app, paymentIntentSucceeded(intent));
    await deliverStripeEvent(app, checkoutSessionEvent('checkout.session.completed', { id: 'cs_test_same', tenantId: 't1', topUpId, amountTotal: 1500, currency: 'usd' }));
    await waitFor(async () => ((await topUpStatus(topUpId)) === 'credited' ? true : undefined), 'Elements top-up credited');
    await waitForClose(topUpId);
    // After the workflow closed, a redelivery restarts it; it finds the top-up credited.
    await deliverStripeEvent(app, succeeded);
    await waitForClose(topUpId);

    expect(await ledgerRows(topUpId)).toEqual([{ amount: '1490', currency: 'usd', kind: 'top_up' }]);
    const status = await api(app, 'GET', `/v1/credits/top-ups/${topUpId}`, { key: app.keys.t1Admin });
    expect(status.body).toMatchObject({ status: 'credited', amount: 1500, credited_amount: 1490 });
    const balance = await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin });
    expect(balance.body.balances).toEqual(expect.arrayContaining([{ currency: 'usd', balance: 1490 }]));
  });

  it('credits a Checkout top-up once when both its session and its PaymentIntent report the payment', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 2000, currency: 'eur' },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const topUpId: string = created.body.id;
    // The Checkout Session's PaymentIntent carries the same top-up metadata (payment_intent_data.metadata).
    await deliverStripeEvent(app, paymentIntentSucceeded({ id: 'pi_test_checkout', topUpId, amount: 2000, amountReceived: 2000, currency: 'eur' }));
    await deliverStripeEvent(
      app,
      checkoutSessionEvent('checkout.session.completed', { id: created.body.checkout_session_id, tenantId: 't1', topUpId, amountTotal: 2000, currency: 'eur' }),
    );
    await waitFor(async () => ((await topUpStatus(topUpId)) === 'credited' ? true : undefined), 'Checkout top-up credited');
    await waitForClose(topUpId);
    expect(await ledgerRows(topUpId)).toEqual([{ amount: '2000', currency: 'eur', kind: 'top_up' }]);
  });

  it('a failed card attempt leaves an Elements top-up open; canceling its PaymentIntent fails it', async () => {
    const created = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 700, currency: 'gbp', mode: 'payment_intent' },
    });
    expect(created.status).toBe(201);
    const topUpId: string = created.body.id;
    const object = {
      ...stripeFixture('payment_intent'),
      id: created.body.payment_intent_id,
      amount: 700,
      amount_received: 0,
      currency: 'gbp',
      metadata: { purpose: 'top_up', tenant_id: 't1', top_up_id: topUpId },
    };
    await deliverStripeEvent(app, stripeEvent('payment_intent.payment_failed', { ...object, status: 'requires_payment_method' }));
    const handle = app.temporal.workflow.getHandle(topUpWorkflowId('t1', topUpId));
    await waitFor(async () => ((await handle.query(topUpStateQuery)).eventLog.length === 1 ? true : undefined), 'failed attempt logged');
    expect(await topUpStatus(topUpId)).toBe('pending');
    await deliverStripeEvent(app, stripeEvent('payment_intent.canceled', { ...object, status: 'canceled' }));
    await waitFor(async () => ((await topUpStatus(topUpId)) === 'failed' ? true : undefined), 'top-up failed');
    expect(await ledgerRows(topUpId)).toEqual([]);
  });

  it('settling an unpaid PaymentIntent (no event in 25 h) cancels it at Stripe with an idempotency key; a paid one is left alone', async () => {
    const acts = createTopUpActivities({ db: app.db, stripe: createStripeClient(app.config) });
    const statusOf: Record<string, string> = { pi_test_unpaid: 'requires_payment_method', pi_test_paid: 'succeeded' };
    proxy.patches.push((call) => {
      const [, , , id, action] = call.path.split('/');
      if (!id || !(id in statusOf)) return undefined;
      return { id, status: action === 'cancel' ? 'canceled' : statusOf[id], amount_received: statusOf[id] === 'succeeded' ? 900 : 0, currency: 'usd' };
    });
    const unpaid = await acts.settleTopUpPaymentIntent({ tenantId: 't1', topUpId: 'tu_unpaid', paymentIntentId: 'pi_test_unpaid' });
    expect(unpaid).toEqual({ paymentIntentId: 'pi_test_unpaid', status: 'canceled', amountReceived: 0, currency: 'usd' });
    const cancel = proxy.calls.find((call) => call.path === '/v1/payment_intents/pi_test_unpaid/cancel');
    expect(cancel?.idempotencyKey).toBe('topup:t1:tu_unpaid:payment-intent-cancel');
    const paid = await acts.settleTopUpPaymentIntent({ tenantId: 't1', topUpId: 'tu_paid', paymentIntentId: 'pi_test_paid' });
    expect(paid).toEqual({ paymentIntentId: 'pi_test_paid', status: 'succeeded', amountReceived: 900, currency: 'usd' });
    expect(proxy.calls.some((call) => call.path === '/v1/payment_intents/pi_test_paid/cancel')).toBe(false);
  });

  it('refuses an amount outside the limits before any Stripe call', async () => {
    const before = proxy.calls.length;
    const refused = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 10, currency: 'usd', mode: 'payment_intent' },
    });
    expect(refused.status).toBe(400);
    const unknownMode = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount: 1000, currency: 'usd', mode: 'card' } });
    expect(unknownMode.status).toBe(400);
    expect(proxy.calls.length).toBe(before);
  });
});
