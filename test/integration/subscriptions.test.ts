import { describe, expect, it } from 'vitest';
import { findSubscription, upsertSubscription } from '../../src/db/subscriptions.js';
import { subscriptionWorkflowId } from '../../src/temporal/workflow-ids.js';
import { api, FRONTEND_ORIGIN, waitFor, type TestApp, useTestApp } from '../helpers/app-context.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { PRICE_ID, subscriptionInvoiceObject, subscriptionObject } from '../helpers/subscription-objects.js';

let app: TestApp;
useTestApp((started) => (app = started));

async function deliver(event: Record<string, unknown>) {
  const payload = JSON.stringify(event);
  return api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
}

async function usdBalance(key = app.keys.t1Admin): Promise<number> {
  const response = await api(app, 'GET', '/v1/credits/balance', { key });
  return response.body.balances.find((row: { currency: string }) => row.currency === 'usd')?.balance ?? 0;
}

describe('subscriptions end to end (real Temporal, PostgreSQL, stripe-mock)', () => {
  it('lists the catalog, sets credits per cycle, and keeps the cache fresh from webhooks without regressing', async () => {
    const unauthenticated = await api(app, 'GET', '/v1/products');
    expect(unauthenticated.status).toBe(401);

    const products = await api(app, 'GET', '/v1/products', { key: app.keys.t1Member });
    expect(products.status).toBe(200);
    const price = products.body.data.flatMap((product: any) => product.prices).find((p: any) => p.id === PRICE_ID);
    expect(price).toMatchObject({ id: PRICE_ID, currency: 'usd', interval: 'month', credits_per_cycle: 0 });

    const forbidden = await api(app, 'PUT', `/v1/admin/prices/${PRICE_ID}/credits`, { key: app.keys.t1Member, body: { credits_per_cycle: 500 } });
    expect(forbidden.status).toBe(403);
    const set = await api(app, 'PUT', `/v1/admin/prices/${PRICE_ID}/credits`, { key: app.keys.t1Admin, body: { credits_per_cycle: 500 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: PRICE_ID, credits_per_cycle: 500 });

    // A newer price.updated changes the cache (but never our credits); an older one redelivered changes nothing.
    const now = Math.floor(Date.now() / 1000);
    const newer = await deliver(stripeEvent('price.updated', { ...stripeFixture('price'), nickname: 'Basic monthly' }, { created: now + 10 }));
    expect(newer.status).toBe(200);
    const older = await deliver(stripeEvent('price.updated', { ...stripeFixture('price'), nickname: 'stale name' }, { created: now - 1000 }));
    expect(older.status).toBe(200);
    const after = await api(app, 'GET', '/v1/products', { key: app.keys.t1Admin });
    const cached = after.body.data.flatMap((product: any) => product.prices).find((p: any) => p.id === PRICE_ID);
    expect(cached).toMatchObject({ nickname: 'Basic monthly', credits_per_cycle: 500 });
  });

  it('checkout → subscription and invoice webhooks → credits exactly once per paid cycle; query, summary, cancel', async () => {
    const noOrigin = await api(app, 'POST', '/v1/subscriptions/checkout', { key: app.keys.t1Admin, body: { price_id: PRICE_ID } });
    expect(noOrigin.status).toBe(403);
    const checkout = await api(app, 'POST', '/v1/subscriptions/checkout', {
      key: app.keys.t1Admin,
      body: { price_id: PRICE_ID },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expect(checkout.status).toBe(201);
    expect(checkout.body.url).toMatch(/^https:\/\//);
    // The wallet's Stripe customer is created once and reused.
    const again = await api(app, 'POST', '/v1/subscriptions/checkout', { key: app.keys.t1Admin, body: { price_id: PRICE_ID }, headers: { origin: FRONTEND_ORIGIN } });
    expect(again.body.customer_id).toBe(checkout.body.customer_id);
    const unknownPrice = await api(app, 'POST', '/v1/subscriptions/checkout', { key: app.keys.t1Admin, body: { price_id: 'price_nope' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(unknownPrice.status).toBe(404);

    const subscriptionId = 'sub_it_monthly1';
    const balanceBefore = await usdBalance();
    const created = await deliver(stripeEvent('customer.subscription.created', subscriptionObject(subscriptionId)));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'routed', workflowId: subscriptionWorkflowId('t1', subscriptionId) });

    const firstInvoice = stripeEvent('invoice.payment_succeeded', subscriptionInvoiceObject('in_it_1', subscriptionId, 0));
    expect((await deliver(firstInvoice)).status).toBe(200);
    expect((await deliver(firstInvoice)).status).toBe(200); // redelivery
    expect((await deliver(stripeEvent('invoice.payment_succeeded', subscriptionInvoiceObject('in_it_1', subscriptionId, 0)))).status).toBe(200); // another event, same invoice
    expect((await deliver(stripeEvent('invoice.payment_succeeded', subscriptionInvoiceObject('in_it_2', subscriptionId, 1)))).status).toBe(200);

    // An invoice without a subscription is not the subscription's; naming no tenant either, it is parked for an operator.
    const oneOff = { ...subscriptionInvoiceObject('in_it_oneoff', subscriptionId, 0), parent: null };
    const parked = await deliver(stripeEvent('invoice.payment_succeeded', oneOff));
    expect(parked.body).toMatchObject({ status: 'parked', workflowId: 'parked-events:platform' });

    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
      return response.status === 200 && response.body.cycles === 2 ? response.body : undefined;
    }, 'two paid cycles');
    expect(detail).toMatchObject({ id: subscriptionId, status: 'active', account_id: 'default', price_id: PRICE_ID, credits_granted: 1000, cancel_at_period_end: false });
    expect(await usdBalance()).toBe(balanceBefore + 1000);

    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    const cycleEntries = ledger.body.data.filter((entry: any) => entry.kind === 'subscription_cycle');
    expect(cycleEntries).toHaveLength(2);
    expect(cycleEntries.every((entry: any) => entry.amount === 500 && entry.currency === 'usd')).toBe(true);

    const list = await api(app, 'GET', '/v1/subscriptions?status=active', { key: app.keys.t1Admin });
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: any) => s.id)).toContain(subscriptionId);
    expect((await api(app, 'GET', '/v1/subscriptions', { key: app.keys.t2Admin })).body.data).toEqual([]);

    const summary = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: app.keys.t1Admin });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ cycles: 2, credits_granted: [{ currency: 'usd', credits: 1000 }], status: 'active' });
    expect(summary.body.next_renewal).toBe(summary.body.current_period_end);

    // Other tenants see nothing.
    expect((await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'DELETE', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'GET', '/v1/subscriptions/sub_unknown', { key: app.keys.t1Admin })).status).toBe(404);

    // Cancel at period end goes through the workflow to Stripe (stripe-mock accepts it).
    const canceled = await api(app, 'DELETE', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id: subscriptionId, cancel_at_period_end: true, status: 'active' });
    const afterCancel = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: app.keys.t1Admin });
    expect(afterCancel.body.next_renewal).toBeNull();
    expect(afterCancel.body.ends_at).toBe(afterCancel.body.current_period_end);

    const portal = await api(app, 'POST', '/v1/billing-portal', { key: app.keys.t1Admin, body: {}, headers: { origin: FRONTEND_ORIGIN } });
    expect(portal.status).toBe(201);
    expect(portal.body.url).toMatch(/^https:\/\//);
    const noCustomer = await api(app, 'POST', '/v1/billing-portal', { key: app.keys.t2Admin, body: {}, headers: { origin: FRONTEND_ORIGIN } });
    expect(noCustomer.status).toBe(404);

    // Stripe ends it: the workflow records canceled and closes.
    const deleted = subscriptionObject(subscriptionId, { status: 'canceled', canceled_at: Math.floor(Date.now() / 1000), cancel_at_period_end: true });
    expect((await deliver(stripeEvent('customer.subscription.deleted', deleted, { created: Math.floor(Date.now() / 1000) + 5 }))).status).toBe(200);
    const handle = app.temporal.workflow.getHandle(subscriptionWorkflowId('t1', subscriptionId));
    await waitFor(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 'subscription workflow to close');
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], Status: ['canceled'], CustomerId: ['default'] });
    const final = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
    expect(final.body.status).toBe('canceled');
    expect((await api(app, 'DELETE', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin })).status).toBe(409);
    expect(await usdBalance()).toBe(balanceBefore + 1000);
  });
  it('customer.subscription.created (incomplete) after .updated (active) of the same second leaves it active in the workflow and the database', async () => {
    const subscriptionId = 'sub_it_same_second';
    const second = Math.floor(Date.now() / 1000);
    const updated = stripeEvent('customer.subscription.updated', subscriptionObject(subscriptionId), { created: second });
    const created = stripeEvent('customer.subscription.created', subscriptionObject(subscriptionId, { status: 'incomplete' }), { created: second });
    expect((await deliver(updated)).status).toBe(200);
    expect((await deliver(created)).status).toBe(200);

    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
      return response.status === 200 && response.body.event_log.some((entry: any) => entry.event_id === created.id) ? response.body : undefined;
    }, 'both subscription events applied');
    expect(detail.status).toBe('active');
    expect(detail.event_log.find((entry: any) => entry.event_id === created.id).outcome).toMatch(/^ignored/);
    const summary = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: app.keys.t1Admin });
    expect(summary.body.status).toBe('active');
    expect((await api(app, 'GET', '/v1/subscriptions?status=incomplete', { key: app.keys.t1Admin })).body.data.map((s: any) => s.id)).not.toContain(subscriptionId);

    // The database refuses the regression by itself too (a late activity retry, a stale run).
    const record = (await findSubscription(app.db, 't1', subscriptionId))!;
    expect(record).toMatchObject({ status: 'active', statusAt: second });
    const { createdAt: _c, updatedAt: _u, ...projection } = record;
    await upsertSubscription(app.db, { ...projection, status: 'incomplete', statusAt: second });
    await upsertSubscription(app.db, { ...projection, status: 'incomplete', statusAt: second + 60 });
    await upsertSubscription(app.db, { ...projection, status: 'past_due', statusAt: second - 1 });
    expect(await findSubscription(app.db, 't1', subscriptionId)).toMatchObject({ status: 'active', statusAt: second });
    // Legitimate moves pass: newer past_due, then active again after a payment.
    await upsertSubscription(app.db, { ...projection, status: 'past_due', statusAt: second + 1 });
    expect(await findSubscription(app.db, 't1', subscriptionId)).toMatchObject({ status: 'past_due', statusAt: second + 1 });
    await upsertSubscription(app.db, { ...projection, status: 'active', statusAt: second + 2 });
    expect(await findSubscription(app.db, 't1', subscriptionId)).toMatchObject({ status: 'active', statusAt: second + 2 });
  });

  it('one invoice.payment_failed delivered many times at once is applied once: one payment-failure row', async () => {
    const subscriptionId = 'sub_it_failure_burst';
    const now = Math.floor(Date.now() / 1000);
    expect((await deliver(stripeEvent('customer.subscription.created', subscriptionObject(subscriptionId), { created: now }))).status).toBe(200);
    await waitFor(async () => ((await findSubscription(app.db, 't1', subscriptionId)) ? true : undefined), 'subscription recorded');

    const invoice = { ...subscriptionInvoiceObject('in_it_burst', subscriptionId, 1), status: 'open', amount_paid: 0, attempt_count: 1 };
    const failedEvent = stripeEvent('invoice.payment_failed', invoice, { created: now + 10 });
    // A burst of redeliveries, and more while the first is still being applied.
    const burst = Array.from({ length: 8 }, () => deliver(failedEvent));
    for (let i = 0; i < 10; i++) {
      burst.push(deliver(failedEvent));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect((await Promise.all(burst)).map((response) => response.status)).toEqual(burst.map(() => 200));
    const marker = stripeEvent('customer.subscription.updated', subscriptionObject(subscriptionId, { status: 'past_due' }), { created: now + 11 });
    expect((await deliver(marker)).status).toBe(200);

    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
      return response.body.event_log?.some((entry: any) => entry.event_id === marker.id) ? response.body : undefined;
    }, 'the burst and the marker event applied');
    expect(detail.event_log.filter((entry: any) => entry.event_id === failedEvent.id)).toHaveLength(1);
    expect(detail.payment_failures).toEqual([{ invoiceId: 'in_it_burst', at: now + 10, attemptCount: 1 }]);
    expect(detail.status).toBe('past_due');
    const rows = await app.db
      .withTables<{ subscription_cycles: { tenant_id: string; invoice_id: string; status: string } }>()
      .selectFrom('subscription_cycles')
      .select('status')
      .where('tenant_id', '=', 't1')
      .where('invoice_id', '=', 'in_it_burst')
      .execute();
    expect(rows).toEqual([{ status: 'failed' }]);
    const summary = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}/summary`, { key: app.keys.t1Admin });
    expect(summary.body).toMatchObject({ status: 'past_due', failed_invoices: 1 });
  });
});
