import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExcessPayment } from '../../src/db/excess-payments.js';
import { orderWorkflowId } from '../../src/temporal/workflow-ids.js';
import { openRecoveryCheckoutUpdate, orderStateQuery } from '../../workflows/order/messages.js';
import { api, createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { deliverStripeEvent, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeProxy } from '../helpers/stripe-proxy.js';

/**
 * An order's recovery instrument and its second payments, end to end: real gateway, worker, Temporal, PostgreSQL
 * and stripe-mock, behind the counting proxy (method, path, Stripe-Account, idempotency key, form body). The tenant
 * has a connected account: every Stripe call for its orders carries it.
 */
const ACCOUNT = 'acct_1OrderRecoveryT1';

let app: TestApp;
let proxy: StripeProxy;

beforeAll(async () => {
  proxy = await startStripeProxy();
  app = await createTestApp(proxy.env);
  await app.db.updateTable('tenants').set({ stripe_account_id: ACCOUNT }).where('id', '=', 't1').execute();
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
});

const newOrderId = () => `ord_${randomBytes(6).toString('hex')}`;
const urls = { successUrl: 'https://shop.example.com/paid?session_id={CHECKOUT_SESSION_ID}', cancelUrl: 'https://shop.example.com/cart' };

const deliver = (event: Record<string, unknown>) => deliverStripeEvent(app, event);

function paymentIntentEvent(
  type: string,
  intent: { id: string; orderId: string; attempt: number; amount: number; amountReceived: number; currency: string },
) {
  return stripeEvent(
    type,
    {
    ...stripeFixture('payment_intent'),
    id: intent.id,
    amount: intent.amount,
    amount_received: intent.amountReceived,
    currency: intent.currency,
    status: type === 'payment_intent.succeeded' ? 'succeeded' : 'requires_payment_method',
    last_payment_error: type === 'payment_intent.payment_failed' ? { message: 'Your card was declined.' } : null,
    metadata: { purpose: 'order', tenant_id: 't1', order_id: intent.orderId, attempt: String(intent.attempt) },
    },
    { account: ACCOUNT },
  );
}

const order = async (orderId: string) => (await api(app, 'GET', `/v1/orders/${orderId}`, { key: app.keys.t1Admin })).body;
const handleOf = (orderId: string) => app.temporal.workflow.getHandle(orderWorkflowId('t1', orderId));
const callsSince = (mark: number) => proxy.calls.slice(mark);

async function createPaymentIntent(orderId: string, amount: number) {
  const created = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, {
    key: app.keys.t1Admin,
    body: { amount, currency: 'usd', receipt_email: 'buyer@example.com' },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; attempt: number };
}

/** Waits until the order workflow has applied this event (its event log names it) and answers the outcome. */
async function outcomeOf(orderId: string, eventId: string): Promise<string> {
  return waitFor(async () => (await handleOf(orderId).query(orderStateQuery)).eventLog.find((entry) => entry.eventId === eventId)?.outcome, `${eventId} applied`);
}

describe('order recovery checkout and excess payments (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('opens a Checkout Session as the order\'s own attempt, pays the order through it, then answers settled without Stripe', async () => {
    const orderId = newOrderId();
    const first = await createPaymentIntent(orderId, 2000);
    expect(first.attempt).toBe(1);

    const mark = proxy.calls.length;
    const before = Date.now();
    const opened = await handleOf(orderId).executeUpdate(openRecoveryCheckoutUpdate, { args: [urls] });
    expect(opened).toMatchObject({ settled: false, url: expect.stringMatching(/^https:\/\//), checkoutSessionId: expect.stringMatching(/^cs_/) });
    expect(opened.expiresAtMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 24 * 3600_000 - 60_000);

    const calls = callsSince(mark);
    // The open PaymentIntent attempt is canceled first, so the order has one way to be paid.
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([`POST /v1/payment_intents/${first.id}/cancel`, 'POST /v1/checkout/sessions']);
    const create = calls[1]!;
    expect(create.idempotencyKey).toBe(`order:t1:${orderId}:attempt:2:checkout`);
    // In the tenant's connected account, like the order's PaymentIntents and refunds.
    expect(calls.every((call) => call.account === ACCOUNT)).toBe(true);
    const form = new URLSearchParams(create.body);
    for (const prefix of ['payment_intent_data[metadata]', 'metadata']) {
      expect(form.get(`${prefix}[purpose]`)).toBe('order');
      expect(form.get(`${prefix}[tenant_id]`)).toBe('t1');
      expect(form.get(`${prefix}[order_id]`)).toBe(orderId);
      expect(form.get(`${prefix}[attempt]`)).toBe('2');
    }
    expect(form.get('mode')).toBe('payment');
    expect(form.get('line_items[0][quantity]')).toBe('1');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('2000');
    expect(form.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(form.get('line_items[0][price_data][product_data][name]')).toBe(`Order ${orderId}`);
    expect(form.get('customer_email')).toBe('buyer@example.com');
    expect(form.get('success_url')).toBe(urls.successUrl);
    expect(form.get('cancel_url')).toBe(urls.cancelUrl);
    expect(Number(form.get('expires_at')) * 1000).toBe(opened.expiresAtMs);

    // The attempt is recorded, its PaymentIntent pending until Stripe names it.
    const recorded = await order(orderId);
    expect(recorded.status).toBe('pending');
    expect(recorded.attempts).toEqual([
      expect.objectContaining({ attempt: 1, payment_intent_id: first.id, status: 'canceled' }),
      expect.objectContaining({ attempt: 2, payment_intent_id: `pending:${opened.checkoutSessionId}`, status: 'open' }),
    ]);

    // Asked again while the session lasts: the same session, no new one.
    const again = proxy.calls.length;
    expect(await handleOf(orderId).executeUpdate(openRecoveryCheckoutUpdate, { args: [urls] })).toEqual(opened);
    expect(callsSince(again)).toEqual([]);

    // The customer pays: Stripe's PaymentIntent (an id the order has never seen) names the attempt in its metadata.
    const paymentIntentId = `pi_recovery_${randomBytes(6).toString('hex')}`;
    const paid = paymentIntentEvent('payment_intent.succeeded', { id: paymentIntentId, orderId, attempt: 2, amount: 2000, amountReceived: 1990, currency: 'usd' });
    expect((await deliver(paid)).body).toMatchObject({ status: 'routed', workflowId: orderWorkflowId('t1', orderId) });
    expect(await outcomeOf(orderId, paid.id as string)).toBe('bound to checkout attempt 2; paid 1990');
    const settled = await order(orderId);
    expect(settled).toMatchObject({ status: 'paid', captured_amount: 1990, payment_id: paymentIntentId, refundable_amount: 1990 });
    expect(settled.attempts[1]).toMatchObject({ attempt: 2, payment_intent_id: paymentIntentId, status: 'succeeded', amount_received: 1990 });

    // Refundable like any other attempt.
    const refund = await api(app, 'POST', `/v1/payments/${paymentIntentId}/refunds`, { key: app.keys.t1Admin, body: { amount: 500, reason: 'requested_by_customer' } });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ order_id: orderId, payment_id: paymentIntentId, amount: 500 });

    // Paid: settled, and Stripe is not asked.
    const afterPaid = proxy.calls.length;
    expect(await handleOf(orderId).executeUpdate(openRecoveryCheckoutUpdate, { args: [urls] })).toEqual({ settled: true, url: null, checkoutSessionId: null, expiresAtMs: null });
    expect(callsSince(afterPaid)).toEqual([]);
  });

  it('refunds in full, once, a second attempt that succeeds on a paid order', async () => {
    const orderId = newOrderId();
    const first = await createPaymentIntent(orderId, 1500);
    const failed = paymentIntentEvent('payment_intent.payment_failed', { id: first.id, orderId, attempt: 1, amount: 1500, amountReceived: 0, currency: 'usd' });
    await deliver(failed);
    expect(await outcomeOf(orderId, failed.id as string)).toBe('failed');
    const second = await createPaymentIntent(orderId, 1500);
    expect(second.attempt).toBe(2);
    expect(second.id).not.toBe(first.id);
    const success = paymentIntentEvent('payment_intent.succeeded', { id: second.id, orderId, attempt: 2, amount: 1500, amountReceived: 1500, currency: 'usd' });
    await deliver(success);
    expect(await outcomeOf(orderId, success.id as string)).toBe('paid 1500');

    // The first attempt's PaymentIntent succeeds too (the customer retried it before its cancel landed).
    const mark = proxy.calls.length;
    const late = paymentIntentEvent('payment_intent.succeeded', { id: first.id, orderId, attempt: 1, amount: 1500, amountReceived: 1500, currency: 'usd' });
    await deliver(late);
    expect(await outcomeOf(orderId, late.id as string)).toMatch(new RegExp(`^excess: order already paid by ${second.id}; ${first.id} refunded in full \\(refund re_`));
    // Redelivered by Stripe: nothing more. A later event, applied after the redeliveries, shows they were handled.
    await deliver(late);
    await deliver(late);
    const marker = paymentIntentEvent('payment_intent.processing', { id: `pi_marker_${randomBytes(4).toString('hex')}`, orderId, attempt: 9, amount: 1500, amountReceived: 0, currency: 'usd' });
    await deliver(marker);
    expect(await outcomeOf(orderId, marker.id as string)).toBe('ignored: PaymentIntent is not an attempt of this order');

    const refunds = callsSince(mark).filter((call) => call.method === 'POST' && call.path === '/v1/refunds');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.idempotencyKey).toBe(`excess-refund:t1:${first.id}`);
    expect(refunds[0]!.account).toBe(ACCOUNT);
    expect(new URLSearchParams(refunds[0]!.body).get('payment_intent')).toBe(first.id);

    const row = await findExcessPayment(app.db, 't1', first.id);
    expect(row).toMatchObject({
      paymentIntentId: first.id,
      itemKind: 'order',
      itemRef: orderId,
      amount: 1500,
      currency: 'usd',
      reason: `order already paid by ${second.id}`,
      refundId: expect.stringMatching(/^re_/),
    });
    // The order stays paid by the other PaymentIntent; the extra attempt is recorded as it happened.
    const state = await order(orderId);
    expect(state).toMatchObject({ status: 'paid', payment_id: second.id, captured_amount: 1500 });
    expect(state.excess_payments).toEqual([expect.objectContaining({ payment_intent_id: first.id, amount: 1500, refund_id: expect.stringMatching(/^re_/) })]);
    expect(state.attempts[0]).toMatchObject({ attempt: 1, payment_intent_id: first.id, status: 'succeeded', amount_received: 1500 });
  });
});
