import { describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { INVOICE_EVENT_TYPES } from '../../src/domain/invoice/contracts.js';
import { dispatchStripeEvent } from '../../src/webhooks/dispatch.js';
import type { WebhookContext } from '../../src/webhooks/types.js';
import type { Logger } from '../../src/logger.js';
import { api, type TestApp, useTestApp } from '../helpers/app-context.js';
import { signatureFor, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';

/**
 * Signed but malformed Stripe events are acknowledged (200, ignored, "malformed …") instead of a 5xx Stripe
 * would retry for three days; nothing reaches PostgreSQL or Temporal. See test/property/webhooks.property.test.ts
 * for the generated cases.
 */
let app: TestApp;
useTestApp((started) => (app = started));

async function deliverRaw(payload: string) {
  return api(app, 'POST', '/v1/webhooks/stripe', {
    rawBody: payload,
    headers: { 'stripe-signature': signatureFor(payload, app.config.STRIPE_WEBHOOK_SECRET[0]!) },
  });
}

const deliver = (event: Record<string, unknown>) => deliverRaw(JSON.stringify(event));

function expectMalformed(response: { status: number; body: any }): void {
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ received: true, status: 'ignored', reason: expect.stringMatching(/^malformed /) });
}

async function workflowCount(): Promise<number> {
  let count = 0;
  for await (const _ of app.temporal.workflow.list({ query: `TaskQueue = "${app.config.TEMPORAL_TASK_QUEUE}"` })) count++;
  return count;
}

const topUpMetadata = { purpose: 'top_up', tenant_id: 't1', top_up_id: 'tu_00000000000000000000000000000001' };

describe('signed but malformed Stripe events are acknowledged, never 5xx', () => {
  it('checkout.session.completed without data.object', async () => {
    const event = stripeEvent('checkout.session.completed', {});
    delete (event.data as Record<string, unknown>).object;
    const response = await deliver(event);
    expectMalformed(response);
    expect(response.body.reason).toContain('data.object');
    expect(response.body.event_id).toBe(event.id);
  });

  it.each(INVOICE_EVENT_TYPES)('%s with a null object', async (type) => {
    const response = await deliver(stripeEvent(type, null as unknown as Record<string, unknown>));
    expectMalformed(response);
    expect(response.body.reason).toContain('data.object');
  });

  it('minimal product and price payloads', async () => {
    for (const type of ['product.created', 'product.updated']) {
      expectMalformed(await deliver(stripeEvent(type, { id: 'prod_minimal', object: 'product' })));
    }
    for (const type of ['price.created', 'price.updated']) {
      expectMalformed(await deliver(stripeEvent(type, { id: 'price_minimal', object: 'price' })));
    }
    // A deletion needs the id alone: acknowledged as a cache refresh, not as malformed.
    const deleted = await deliver(stripeEvent('product.deleted', { id: 'prod_minimal', object: 'product', deleted: true }));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'ignored', reason: expect.stringContaining('product cache refreshed') });
    // Without an id even a deletion is malformed.
    expectMalformed(await deliver(stripeEvent('price.deleted', { object: 'price', deleted: true })));
    // The fixtures themselves are well-formed.
    const product = await deliver(stripeEvent('product.created', stripeFixture('product')));
    expect(product.body).toMatchObject({ status: 'ignored', reason: expect.stringContaining('product cache refreshed') });
  });

  it('a signed JSON value that is no event at all', async () => {
    for (const payload of ['null', '"evt"', '[1,2]', '42', '{}']) {
      const response = await deliverRaw(payload);
      expectMalformed(response);
      expect(response.body.event_id).toBe(null);
    }
  });

  it('event types named after Object.prototype members', async () => {
    for (const type of ['constructor', '__proto__', 'valueof', 'toString']) {
      const response = await deliver(stripeEvent(type, stripeFixture('product')));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'ignored' });
      // Stripe's types are lower case: `toString` is malformed, the others simply have no handler.
      if (type !== 'toString') expect(response.body.reason).toBe(`no handler for ${type}`);
    }
  });

  it('bad envelopes: account, id, created', async () => {
    expectMalformed(await deliver(stripeEvent('product.created', stripeFixture('product'), { account: 'acct_\u0000x' })));
    expectMalformed(await deliver(stripeEvent('product.created', stripeFixture('product'), { account: 42 })));
    expectMalformed(await deliver(stripeEvent('product.created', stripeFixture('product'), { id: 'evt x' })));
    expectMalformed(await deliver(stripeEvent('product.created', stripeFixture('product'), { created: 1.5 })));
    expectMalformed(await deliver(stripeEvent('product.created', stripeFixture('product'), { data: { object: [] } })));
  });

  it('top-up sessions a workflow could not apply start no workflow', async () => {
    const before = await workflowCount();
    const base = { ...stripeFixture('checkout.session'), payment_status: 'paid', amount_total: 1500, currency: 'usd', metadata: topUpMetadata };
    const poisons: Array<Record<string, unknown>> = [
      { ...base, metadata: { ...topUpMetadata, tenant_id: 't1\u0000' } },
      { ...base, metadata: { ...topUpMetadata, top_up_id: 'x'.repeat(5000) } },
      { ...base, metadata: { ...topUpMetadata, top_up_id: '\uD800' } },
      { ...base, amount_total: 15.5 },
      { ...base, amount_total: '1500' },
      { ...base, amount_total: -1 },
      { ...base, amount_total: null },
      { ...base, currency: 'us\u0000' },
      { ...base, payment_status: 'maybe' },
      { ...base, id: null },
    ];
    for (const object of poisons) expectMalformed(await deliver(stripeEvent('checkout.session.completed', object)));
    expect(await workflowCount()).toBe(before);
  });

  it('order, transaction, subscription and catalog payloads with poison fields', async () => {
    const intent = { ...stripeFixture('payment_intent'), metadata: { purpose: 'order', tenant_id: 't1', order_id: 'ord_poison' } };
    expectMalformed(await deliver(stripeEvent('payment_intent.succeeded', { ...intent, amount: 10.25 })));
    expectMalformed(await deliver(stripeEvent('payment_intent.succeeded', { ...intent, last_payment_error: { message: 'card \u0000 declined' } })));
    const txn = { ...stripeFixture('payment_intent'), metadata: { purpose: 'transaction', tenant_id: 't1', transaction_ref: 'bad ref with spaces' } };
    expectMalformed(await deliver(stripeEvent('payment_intent.payment_failed', txn)));
    const refund = { ...stripeFixture('refund'), status: 'exploded', metadata: { purpose: 'order', tenant_id: 't1', order_id: 'ord_poison' } };
    expectMalformed(await deliver(stripeEvent('refund.updated', refund)));
    const subscription = { ...stripeFixture('subscription'), status: 'weird', metadata: { tenant_id: 't1' } };
    expectMalformed(await deliver(stripeEvent('customer.subscription.updated', subscription)));
    const price = { ...stripeFixture('price'), unit_amount: 1e300 };
    expectMalformed(await deliver(stripeEvent('price.updated', price)));
    const product = { ...stripeFixture('product'), name: 'T-shirt\u0000' };
    expectMalformed(await deliver(stripeEvent('product.updated', product)));
  });
});

describe('the malformed-event warning', () => {
  it('names the event id, its type and field paths, never the values', async () => {
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args), info: () => {}, debug: () => {} } as unknown as Logger;
    const ctx = { log, db: undefined, temporal: undefined, taskQueue: 'none', retry: undefined, deadlineMs: 1 } as unknown as Omit<WebhookContext, 'connectedTenantId'>;
    const event = stripeEvent('checkout.session.completed', {
      ...stripeFixture('checkout.session'),
      payment_status: 'paid',
      amount_total: 1.5,
      currency: 'usd',
      customer_details: { email: 'jane@example.com' },
      metadata: { ...topUpMetadata, tenant_id: 'jane@example.com\u0000' },
    }) as unknown as Stripe.Event;
    const outcome = await dispatchStripeEvent(event, ctx);
    expect(outcome).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/^malformed top-up checkout session: /) });
    expect(warnings).toHaveLength(1);
    const [fields] = warnings[0] as [Record<string, unknown>];
    expect(fields).toMatchObject({ eventId: event.id, type: 'checkout.session.completed' });
    expect(fields.fields).toEqual(expect.arrayContaining(['amount_total', 'metadata.tenant_id']));
    expect(JSON.stringify(warnings)).not.toContain('jane');
  });
});
