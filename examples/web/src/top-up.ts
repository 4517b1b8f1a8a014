/**
 * Credits: presets from GET /v1/credits/top-up-options, a hosted Checkout per top-up, and the pages Checkout
 * returns to (/credits/top-ups/success and /cancelled, the paths the gateway builds under this origin).
 */
import type { components } from 'payments-orchestrator/client';
import { call, exponentOf, formatMoney, payments } from './api.js';
import { errorLine, h, show } from './dom.js';

type CurrencyOptions = components['schemas']['TopUpCurrencyOptions'];

export async function topUpPage(root: HTMLElement): Promise<void> {
  const status = h('p', { role: 'status' }, 'Loading top-up options…');
  show(root, h('h1', {}, 'Top up credits'), status);
  let options: CurrencyOptions[];
  try {
    options = (await call(() => payments.GET('/v1/credits/top-up-options'))).data;
  } catch (error) {
    show(root, h('h1', {}, 'Top up credits'), errorLine(error));
    return;
  }
  if (options.length === 0) {
    status.textContent = 'No currency can be topped up (check TOPUP_PRESET_AMOUNTS).';
    return;
  }
  const sections = options.map((option) => currencySection(option));
  show(root, h('h1', {}, 'Top up credits'), h('p', {}, 'Choose an amount; you pay on Stripe Checkout and come back here.'), ...sections);
}

function currencySection(option: CurrencyOptions): HTMLElement {
  const message = h('div');
  const start = async (amount: number) => {
    show(message, h('p', { role: 'status' }, 'Opening Checkout…'));
    try {
      const topUp = await call(() =>
        payments.POST('/v1/credits/top-ups', {
          body: { amount, currency: option.currency },
          // One key per click: a retried request (double click, flaky network) opens the same Checkout Session.
          params: { header: { 'idempotency-key': crypto.randomUUID() } },
        }),
      );
      if (!('url' in topUp)) throw new Error('expected a Checkout URL');
      // The gateway built the return URLs from this page's Origin: Checkout sends the customer to
      // /credits/top-ups/success?top_up_id=…&session_id=… on this origin.
      location.assign(topUp.url);
    } catch (error) {
      show(message, errorLine(error));
    }
  };
  const money = (amount: number) => formatMoney(amount, option.currency, option.exponent);
  let picker: HTMLElement;
  if (option.presets.length > 0) {
    picker = h(
      'div',
      { class: 'presets' },
      ...option.presets.map((amount) => h('button', { type: 'button', 'data-amount': String(amount), onclick: () => void start(amount) }, money(amount))),
    );
  } else {
    const input = h('input', { type: 'number', min: String(option.min / 10 ** option.exponent), max: String(option.max / 10 ** option.exponent), step: String(1 / 10 ** option.exponent), required: true });
    picker = h(
      'form',
      {
        onsubmit: (event: Event) => {
          event.preventDefault();
          void start(Math.round(Number(input.value) * 10 ** option.exponent));
        },
      },
      h('label', {}, `Amount (${money(option.min)} to ${money(option.max)}) `, input),
      h('button', { type: 'submit' }, 'Top up'),
    );
  }
  return h('section', { 'data-currency': option.currency }, h('h2', {}, option.currency.toUpperCase()), picker, message);
}

const FINAL = new Set(['credited', 'expired', 'failed']);

/** Polls the top-up until the webhook has been processed (Checkout returns before or after it), then shows the balance. */
export async function topUpSuccessPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const topUpId = params.get('top_up_id');
  if (!topUpId) {
    show(root, h('h1', {}, 'Top-up'), errorLine('No top_up_id in the address.'));
    return;
  }
  const status = h('p', { role: 'status', 'data-top-up-status': 'pending' }, 'Payment received by Stripe; waiting for the credit…');
  const balance = h('div');
  show(root, h('h1', {}, 'Thank you'), status, balance);
  const startedAt = Date.now();
  for (;;) {
    let topUp: components['schemas']['TopUp'];
    try {
      topUp = await call(() => payments.GET('/v1/credits/top-ups/{id}', { params: { path: { id: topUpId } } }));
    } catch (error) {
      show(balance, errorLine(error));
      return;
    }
    status.dataset.topUpStatus = topUp.status;
    const amount = formatMoney(topUp.credited_amount ?? topUp.amount, topUp.currency, exponentOf(topUp.currency));
    if (FINAL.has(topUp.status)) {
      status.textContent = topUp.status === 'credited' ? `${amount} credited.` : `This top-up ${topUp.status}; nothing was charged to your balance.`;
      status.className = topUp.status === 'credited' ? 'ok' : 'error';
      await showBalance(balance, topUp.account_id);
      return;
    }
    status.textContent = `Top-up of ${amount} is ${topUp.status}; waiting for Stripe's confirmation…`;
    // Every second for two minutes, then every 5 s: Stripe's webhook usually arrives within seconds.
    await new Promise((resolve) => setTimeout(resolve, Date.now() - startedAt < 120_000 ? 1_000 : 5_000));
  }
}

async function showBalance(target: HTMLElement, accountId: string): Promise<void> {
  try {
    const { balances } = await call(() => payments.GET('/v1/credits/balance', { params: { query: { account_id: accountId } } }));
    show(
      target,
      h('h2', {}, 'Balance'),
      h('ul', { id: 'balances' }, ...balances.map((b) => h('li', { 'data-currency': b.currency }, formatMoney(b.balance, b.currency, exponentOf(b.currency))))),
      h('p', {}, h('a', { href: '/' }, 'Top up again')),
    );
  } catch (error) {
    show(target, errorLine(error));
  }
}

export function topUpCancelledPage(root: HTMLElement): void {
  show(root, h('h1', {}, 'Top-up cancelled'), h('p', {}, 'Nothing was charged.'), h('p', {}, h('a', { href: '/' }, 'Choose another amount')));
}
