import { stripeFixture } from './stripe-events.js';

/** Stripe objects of one monthly subscription of tenant t1's default account, in the pinned API version's shape. */
export const PRICE_ID = stripeFixture('price').id as string;
export const MONTH = 30 * 24 * 3600;

export function subscriptionObject(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const fixture = stripeFixture('subscription');
  const now = Math.floor(Date.now() / 1000);
  const item = { ...fixture.items.data[0], subscription: id, price: { ...stripeFixture('price'), id: PRICE_ID }, current_period_start: now, current_period_end: now + MONTH };
  return {
    ...fixture,
    id,
    status: 'active',
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    customer: 'cus_test_sub',
    metadata: { tenant_id: 't1', account_id: 'default', price_id: PRICE_ID },
    items: { ...fixture.items, data: [item] },
    ...overrides,
  };
}

/** A paid cycle invoice (2025+ shape: the subscription under `parent.subscription_details`). */
export function subscriptionInvoiceObject(id: string, subscriptionId: string, cycle: number): Record<string, any> {
  const fixture = stripeFixture('invoice');
  const start = Math.floor(Date.now() / 1000) + cycle * MONTH;
  const line = {
    ...fixture.lines.data[0],
    invoice: id,
    amount: 2000,
    period: { start, end: start + MONTH },
    pricing: { type: 'price_details', price_details: { price: PRICE_ID, product: stripeFixture('product').id }, unit_amount_decimal: '2000' },
  };
  return {
    ...fixture,
    id,
    status: 'paid',
    amount_paid: 2000,
    amount_due: 2000,
    currency: 'usd',
    customer: 'cus_test_sub',
    billing_reason: cycle === 0 ? 'subscription_create' : 'subscription_cycle',
    lines: { ...fixture.lines, data: [line] },
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: subscriptionId, metadata: { tenant_id: 't1', account_id: 'default' } },
    },
  };
}

/**
 * The same invoice as an endpoint pinned to 2023-10-16 sends it: `subscription` and `subscription_details` at the
 * top level, no `parent`, and lines that name their `price` instead of `pricing`.
 */
export function legacySubscriptionInvoiceObject(current: Record<string, any>): Record<string, unknown> {
  const { parent, lines, ...rest } = current;
  return {
    ...rest,
    subscription: parent.subscription_details.subscription,
    subscription_details: { metadata: parent.subscription_details.metadata },
    lines: {
      ...lines,
      data: lines.data.map(({ pricing, ...line }: Record<string, any>) => ({ ...line, price: { id: pricing.price_details.price, object: 'price' } })),
    },
  };
}
