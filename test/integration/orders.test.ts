import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, waitFor, type TestApp, useTestApp } from '../helpers/app-context.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';

let app: TestApp;
useTestApp((started) => (app = started));

const newOrderId = () => `ord_${randomBytes(6).toString('hex')}`;

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  return api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
}

function paymentIntentEvent(
  type: string,
  intent: { id: string; tenantId: string; orderId: string; amount: number; amountReceived: number; currency: string; purpose?: string },
) {
  return stripeEvent(type, {
    ...stripeFixture('payment_intent'),
    id: intent.id,
    amount: intent.amount,
    amount_received: intent.amountReceived,
    currency: intent.currency,
    status: type === 'payment_intent.succeeded' ? 'succeeded' : 'requires_payment_method',
    last_payment_error: null,
    metadata: { purpose: intent.purpose ?? 'order', tenant_id: intent.tenantId, order_id: intent.orderId, attempt: '1' },
  });
}

async function order(id: string, key = app.keys.t1Admin) {
  return api(app, 'GET', `/v1/orders/${id}`, { key });
}

/** Creates an order's PaymentIntent and delivers payment_intent.succeeded with Stripe's amount_received. */
async function paidOrder(amount: number, currency: string, amountReceived = amount) {
  const orderId = newOrderId();
  const created = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, {
    key: app.keys.t1Admin,
    body: { amount, currency, receipt_email: 'buyer@example.com', description: 'Test order' },
  });
  expect(created.status).toBe(201);
  const delivered = await deliver(
    paymentIntentEvent('payment_intent.succeeded', { id: created.body.id, tenantId: 't1', orderId, amount, amountReceived, currency }),
  );
  expect(delivered.body).toMatchObject({ status: 'routed', workflowId: `order:t1:${orderId}` });
  await waitFor(async () => ((await order(orderId)).body.status === 'paid' ? true : undefined), `${orderId} paid`);
  return { orderId, paymentId: created.body.id as string };
}

function refund(paymentId: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return api(app, 'POST', `/v1/payments/${paymentId}/refunds`, {
    key: app.keys.t1Admin,
    body,
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
}

describe('order payments and refunds (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('answers the publishable key, or 503 with a clear code when it is not configured', async () => {
    const response = await api(app, 'GET', '/v1/payments/config', { key: app.keys.t1Member });
    if (app.config.STRIPE_PUBLISHABLE_KEY) expect(response.body).toEqual({ publishable_key: app.config.STRIPE_PUBLISHABLE_KEY });
    else expect(response.body).toMatchObject({ status: 503, code: 'payments_not_configured' });
  });

  it('creates one PaymentIntent per attempt, records Stripe amount_received on success, and scopes by tenant', async () => {
    const orderId = newOrderId();
    const body = { amount: 2000, currency: 'usd' };
    const first = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, { key: app.keys.t1Admin, body });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ order_id: orderId, attempt: 1, amount: 2000, currency: 'usd' });
    expect(first.body.id).toMatch(/^pi_/);
    expect(first.body.client_secret).toMatch(/^pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/);
    const again = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, { key: app.keys.t1Admin, body });
    expect(again.body).toEqual(first.body);
    const otherAmount = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, { key: app.keys.t1Admin, body: { amount: 3000, currency: 'usd' } });
    expect(otherAmount.status).toBe(409);
    const tooSmall = await api(app, 'POST', `/v1/orders/${newOrderId()}/payment-intents`, { key: app.keys.t1Admin, body: { amount: 10, currency: 'usd' } });
    expect(tooSmall.status).toBe(400);

    expect((await refund(first.body.id, { reason: 'requested_by_customer' })).body.code).toBe('payment_not_refundable');

    const success = paymentIntentEvent('payment_intent.succeeded', { id: first.body.id, tenantId: 't1', orderId, amount: 2000, amountReceived: 1990, currency: 'usd' });
    for (let i = 0; i < 3; i++) expect((await deliver(success)).status).toBe(200);
    await waitFor(async () => ((await order(orderId)).body.status === 'paid' ? true : undefined), 'order paid');
    const paid = (await order(orderId)).body;
    expect(paid).toMatchObject({ captured_amount: 1990, payment_id: first.body.id, refundable_amount: 1990 });
    expect(paid.paid_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    expect((await order(orderId, app.keys.t2Admin)).status).toBe(404);
    expect((await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, { key: app.keys.t1Admin, body })).body.code).toBe('order_already_paid');

    const topUp = await deliver(paymentIntentEvent('payment_intent.succeeded', { id: 'pi_topup', tenantId: 't1', orderId: 'x', amount: 100, amountReceived: 100, currency: 'usd', purpose: 'top_up' }));
    expect(topUp.body).toMatchObject({ status: 'ignored' });
  });

  it('refunds partially, replays by Idempotency-Key, and answers 409 for a second refund over the remainder', async () => {
    const { orderId, paymentId } = await paidOrder(1000, 'usd');
    const partial = await refund(paymentId, { amount: 400, reason: 'requested_by_customer', note: 'damaged' }, 'refund-1');
    expect(partial.status).toBe(201);
    expect(partial.body).toMatchObject({ order_id: orderId, payment_id: paymentId, amount: 400, currency: 'usd' });
    const replay = await refund(paymentId, { amount: 400, reason: 'requested_by_customer', note: 'damaged' }, 'refund-1');
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(partial.body.id);
    const reused = await refund(paymentId, { amount: 300, reason: 'requested_by_customer' }, 'refund-1');
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');

    const over = await refund(paymentId, { amount: 601, reason: 'requested_by_customer' }, 'refund-2');
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'refund_exceeds_remaining', remaining: 600 });
    const other = await api(app, 'POST', `/v1/payments/${paymentId}/refunds`, { key: app.keys.t2Admin, body: { reason: 'other' } });
    expect(other.status).toBe(404);

    const state = (await order(orderId)).body;
    expect(state.refunds).toHaveLength(1);
    expect(state.refundable_amount).toBe(600);
    if (partial.body.status === 'succeeded') expect(state).toMatchObject({ status: 'partially_refunded', refunded_amount: 400 });
  });

  it('never refunds more than the capture when two refunds are sent at once', async () => {
    const { orderId, paymentId } = await paidOrder(1000, 'usd');
    const results = await Promise.all([
      refund(paymentId, { amount: 700, reason: 'duplicate' }, 'a'),
      refund(paymentId, { amount: 700, reason: 'duplicate' }, 'b'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const state = (await order(orderId)).body;
    const active = state.refunds.filter((r: any) => r.status !== 'failed').reduce((sum: number, r: any) => sum + r.amount, 0);
    expect(active).toBeLessThanOrEqual(1000);
    expect(active).toBe(700);
  });

  it('stores and shows zero-decimal JPY amounts as whole yen', async () => {
    const { orderId, paymentId } = await paidOrder(1500, 'jpy');
    const state = (await order(orderId)).body;
    expect(state).toMatchObject({ amount: 1500, amount_display: '1500', currency: 'jpy', currency_exponent: 0, captured_amount: 1500 });
    const refunded = await refund(paymentId, { amount: 500, reason: 'requested_by_customer' });
    expect(refunded.status).toBe(201);
    expect(refunded.body).toMatchObject({ amount: 500, amount_display: '500', currency: 'jpy' });
    const row = await app.db.selectFrom('tenants').select('id').where('id', '=', 't1').executeTakeFirst();
    expect(row?.id).toBe('t1');
  });

  it('reconciles refund.updated failures: the amount is released and the failure is visible', async () => {
    const { orderId, paymentId } = await paidOrder(2000, 'usd');
    const created = await refund(paymentId, { amount: 2000, reason: 'requested_by_customer' }, 'full');
    expect(created.status).toBe(201);
    const failed = stripeEvent('refund.updated', {
      ...stripeFixture('refund'),
      id: created.body.stripe_refund_id,
      amount: 2000,
      currency: 'usd',
      payment_intent: paymentId,
      status: 'failed',
      failure_reason: 'expired_or_canceled_card',
      metadata: { purpose: 'order', tenant_id: 't1', order_id: orderId, refund_request_id: created.body.id },
    });
    expect((await deliver(failed)).body).toMatchObject({ status: 'routed' });
    await waitFor(async () => ((await order(orderId)).body.refunds[0].status === 'failed' ? true : undefined), 'refund failed');
    const state = (await order(orderId)).body;
    expect(state).toMatchObject({ status: 'paid', refunded_amount: 0, refundable_amount: 2000 });
    expect(state.refunds[0].failure_reason).toBe('expired_or_canceled_card');
  });
  it('charge.refunded recomputes a refunded total that drifted in the database from the refunds themselves', async () => {
    const { orderId, paymentId } = await paidOrder(3000, 'usd');
    const partial = await refund(paymentId, { amount: 1000, reason: 'requested_by_customer' }, `drift-${orderId}`);
    expect(partial.status).toBe(201);
    // stripe-mock answers refunds as succeeded at once.
    await waitFor(async () => ((await order(orderId)).body.refunded_amount === 1000 ? true : undefined), 'the refund to be recorded');
    // A lost update (as concurrent refunds could cause before) leaves the stored total wrong.
    await app.db
      .withTables<{ orders: { tenant_id: string; id: string; refunded_total: number; status: string } }>()
      .updateTable('orders')
      .set({ refunded_total: 0, status: 'paid' })
      .where('tenant_id', '=', 't1')
      .where('id', '=', orderId)
      .execute();
    const charge = {
      ...stripeFixture('charge'),
      payment_intent: paymentId,
      amount: 3000,
      amount_captured: 3000,
      amount_refunded: 1000,
      currency: 'usd',
      refunded: false,
      metadata: { purpose: 'order', tenant_id: 't1', order_id: orderId },
      refunds: null,
    };
    expect((await deliver(stripeEvent('charge.refunded', charge))).status).toBe(200);
    const repaired = await waitFor(async () => {
      const body = (await order(orderId)).body;
      return body.refunded_amount === 1000 ? body : undefined;
    }, 'the total to be repaired');
    expect(repaired.status).toBe('partially_refunded');
  });
});
