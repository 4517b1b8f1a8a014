/**
 * Paying an order in the page: POST /v1/orders/:id/payment-intents gives a PaymentIntent and its client_secret,
 * Stripe.js (Payment Element) confirms it with the publishable key from GET /v1/payments/config, and
 * POST /v1/orders/:id/confirm asks the gateway to re-check with Stripe when the customer is back (the webhook may
 * not have arrived yet).
 */
import { call, exponentOf, formatMoney, payments } from './api.js';
import { errorLine, h, show } from './dom.js';

/** The part of Stripe.js this page uses (https://docs.stripe.com/js). */
interface StripeJs {
  elements(options: { clientSecret: string }): { create(type: 'payment'): { mount(target: Element): void } };
  confirmPayment(options: { elements: unknown; confirmParams: { return_url: string } }): Promise<{ error?: { message?: string } }>;
}
declare global {
  interface Window {
    Stripe?: (publishableKey: string) => StripeJs;
  }
}

/** Loads Stripe.js from Stripe (it must be: PCI rules forbid bundling it); undefined when it cannot load. */
function loadStripeJs(): Promise<Window['Stripe']> {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  return new Promise((resolve) => {
    const script = h('script', { src: 'https://js.stripe.com/v3/' });
    script.addEventListener('load', () => resolve(window.Stripe));
    script.addEventListener('error', () => resolve(undefined));
    document.head.append(script);
  });
}

export async function orderPage(root: HTMLElement, params: URLSearchParams): Promise<void> {
  const orderId = h('input', { name: 'order_id', required: true, pattern: '[A-Za-z0-9_-]{1,64}', value: params.get('order_id') ?? `order-${crypto.randomUUID().slice(0, 8)}` });
  const amount = h('input', { name: 'amount', type: 'number', min: '0.01', step: '0.01', required: true, value: '12.50' });
  const currency = h('input', { name: 'currency', required: true, pattern: '[a-zA-Z]{3}', value: 'usd' });
  const result = h('div', { id: 'order-result' });
  const state = h('div', { id: 'order-state' });
  const form = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        const code = currency.value.toLowerCase();
        const minor = Math.round(Number(amount.value) * 10 ** exponentOf(code));
        void startPayment(result, state, orderId.value, minor, code);
      },
    },
    h('label', {}, 'Order id ', orderId),
    h('label', {}, 'Amount ', amount),
    h('label', {}, 'Currency ', currency),
    h('button', { type: 'submit' }, 'Pay this order'),
  );
  show(root, h('h1', {}, 'Pay an order'), form, result, state);

  // Back from Stripe (3-D Secure or a redirecting method): ?order_id=…&payment_intent=…&redirect_status=…
  if (params.get('order_id') && params.get('payment_intent')) await confirmOrder(state, params.get('order_id')!);
}

async function startPayment(result: HTMLElement, state: HTMLElement, orderId: string, amount: number, currency: string): Promise<void> {
  show(result, h('p', { role: 'status' }, 'Creating the PaymentIntent…'));
  show(state);
  try {
    const intent = await call(() =>
      payments.POST('/v1/orders/{order_id}/payment-intents', { params: { path: { order_id: orderId } }, body: { amount, currency } }),
    );
    const checkButton = h('button', { type: 'button', onclick: () => void confirmOrder(state, orderId) }, 'Check payment status');
    const element = h('div', { id: 'payment-element' });
    const payButton = h('button', { type: 'button', disabled: true }, 'Pay');
    const stripeNote = h('p', { id: 'stripe-js-state' }, 'Loading Stripe.js…');
    show(
      result,
      h('p', {}, `PaymentIntent `, h('code', { id: 'payment-intent-id' }, intent.id), ` for ${formatMoney(intent.amount, intent.currency, exponentOf(intent.currency))} (attempt ${intent.attempt}).`),
      h('p', {}, 'client_secret: ', h('code', { id: 'client-secret' }, intent.client_secret)),
      element,
      stripeNote,
      payButton,
      ' ',
      checkButton,
    );

    let publishableKey: string;
    try {
      publishableKey = (await call(() => payments.GET('/v1/payments/config'))).publishable_key;
    } catch (error) {
      show(stripeNote, errorLine(error));
      return;
    }
    const Stripe = await loadStripeJs();
    if (!Stripe) {
      stripeNote.textContent = 'Stripe.js could not be loaded (offline?). Confirm the PaymentIntent elsewhere, then check its status.';
      return;
    }
    const stripe = Stripe(publishableKey);
    const elements = stripe.elements({ clientSecret: intent.client_secret });
    elements.create('payment').mount(element);
    stripeNote.textContent = '';
    payButton.disabled = false;
    payButton.addEventListener('click', async () => {
      payButton.disabled = true;
      const returnUrl = `${location.origin}/orders?order_id=${encodeURIComponent(orderId)}`;
      const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
      // Only reached when confirmation failed at once (card declined, invalid details); success redirects.
      if (error) show(state, errorLine(error.message ?? 'Payment failed'));
      payButton.disabled = false;
    });
  } catch (error) {
    show(result, errorLine(error));
  }
}

async function confirmOrder(state: HTMLElement, orderId: string): Promise<void> {
  show(state, h('p', { role: 'status' }, 'Checking with Stripe…'));
  try {
    const order = await call(() => payments.POST('/v1/orders/{order_id}/confirm', { params: { path: { order_id: orderId } } }));
    show(
      state,
      h('p', { role: 'status', 'data-order-status': order.status, class: order.status === 'paid' ? 'ok' : undefined }, `Order ${order.id}: ${order.status} (${order.amount_display}).`),
      ...order.attempts.map((a) => h('p', {}, `Attempt ${a.attempt}: ${a.payment_intent_id} ${a.status}${a.failure_message ? `: ${a.failure_message}` : ''}`)),
    );
  } catch (error) {
    show(state, errorLine(error));
  }
}
