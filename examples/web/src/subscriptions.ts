/**
 * Subscriptions: the product catalogue (GET /v1/products), subscription Checkout, the Customer Portal, and the
 * pages they return to (/subscriptions/success, /subscriptions/cancelled, /account/billing).
 */
import type { components } from 'payments-orchestrator/client';
import { call, formatMoney, exponentOf, payments } from './api.js';
import { errorLine, h, show } from './dom.js';

type Price = components['schemas']['Price'];

function priceLabel(price: Price): string {
  const amount = price.unit_amount === null ? 'custom amount' : formatMoney(price.unit_amount, price.currency, exponentOf(price.currency));
  const every = price.interval ? ` / ${price.interval_count && price.interval_count > 1 ? `${price.interval_count} ` : ''}${price.interval}` : '';
  const credits = price.credits_per_cycle > 0 ? ` (+${price.credits_per_cycle} credits per cycle)` : '';
  return `${price.nickname ?? price.lookup_key ?? price.id}: ${amount}${every}${credits}`;
}

async function redirectTo(target: HTMLElement, open: () => Promise<{ url: string }>): Promise<void> {
  show(target, h('p', { role: 'status' }, 'Opening Stripe…'));
  try {
    location.assign((await open()).url);
  } catch (error) {
    show(target, errorLine(error));
  }
}

export async function subscriptionsPage(root: HTMLElement): Promise<void> {
  const message = h('div');
  const portal = h(
    'button',
    {
      type: 'button',
      // Return URL: /account/billing on this origin (the gateway takes it from the Origin header).
      onclick: () => void redirectTo(message, () => call(() => payments.POST('/v1/billing-portal', { body: {} }))),
    },
    'Manage billing',
  );
  const list = h('div', {}, h('p', { role: 'status' }, 'Loading products…'));
  const mine = h('div');
  show(root, h('h1', {}, 'Subscriptions'), list, h('h2', {}, 'Your subscriptions'), mine, portal, message);

  try {
    const { data: products } = await call(() => payments.GET('/v1/products'));
    show(
      list,
      ...products.map((product) =>
        h(
          'section',
          { 'data-product': product.id },
          h('h2', {}, product.name),
          product.description ? h('p', {}, product.description) : null,
          ...product.prices.map((price) =>
            h(
              'p',
              {},
              priceLabel(price),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  'data-price': price.id,
                  onclick: () => void redirectTo(message, () => call(() => payments.POST('/v1/subscriptions/checkout', { body: { price_id: price.id } }))),
                },
                'Subscribe',
              ),
            ),
          ),
        ),
      ),
    );
    if (products.length === 0) show(list, h('p', {}, 'No active products.'));
  } catch (error) {
    show(list, errorLine(error));
  }
  await listSubscriptions(mine);
}

async function listSubscriptions(target: HTMLElement): Promise<void> {
  try {
    const { data } = await call(() => payments.GET('/v1/subscriptions'));
    show(
      target,
      data.length === 0
        ? h('p', {}, 'None yet.')
        : h('ul', {}, ...data.map((s) => h('li', {}, `${s.id}: ${s.status}${s.current_period_end ? `, renews ${new Date(s.current_period_end).toLocaleDateString()}` : ''}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}`))),
    );
  } catch (error) {
    show(target, errorLine(error));
  }
}

export async function subscriptionReturnPage(root: HTMLElement, outcome: 'success' | 'cancelled' | 'billing'): Promise<void> {
  const text = {
    success: 'Subscribed. Stripe confirms the subscription by webhook; it appears below within seconds.',
    cancelled: 'Checkout cancelled; nothing was charged.',
    billing: 'Back from the billing portal.',
  }[outcome];
  const mine = h('div');
  show(root, h('h1', {}, 'Subscriptions'), h('p', { role: 'status' }, text), mine, h('p', {}, h('a', { href: '/subscriptions' }, 'All plans')));
  await listSubscriptions(mine);
}
