/**
 * The example app: one page, routed by path (the static server answers index.html for every path, so the return
 * URLs the gateway builds under this origin land here).
 */
import { API_URL, apiKey, setApiKey } from './api.js';
import { orderPage } from './orders.js';
import { subscriptionReturnPage, subscriptionsPage } from './subscriptions.js';
import { topUpCancelledPage, topUpPage, topUpSuccessPage } from './top-up.js';
import { h, show } from './dom.js';

const root = document.querySelector<HTMLElement>('#app')!;
const keyForm = document.querySelector<HTMLFormElement>('#api-key-form')!;
const keyInput = document.querySelector<HTMLInputElement>('#api-key')!;
const keyState = document.querySelector<HTMLElement>('#api-key-state')!;

function describeKey(): void {
  keyState.textContent = apiKey() ? 'key set for this tab' : 'no key yet';
}

async function route(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!apiKey()) {
    show(root, h('h1', {}, 'Payments example'), h('p', {}, `Enter an API key above to call ${API_URL}. It is kept in this tab only (sessionStorage).`));
    return;
  }
  switch (location.pathname.replace(/\/+$/, '') || '/') {
    case '/':
    case '/credits':
      return topUpPage(root);
    case '/credits/top-ups/success':
      return topUpSuccessPage(root, params);
    case '/credits/top-ups/cancelled':
      return topUpCancelledPage(root);
    case '/subscriptions':
      return subscriptionsPage(root);
    case '/subscriptions/success':
      return subscriptionReturnPage(root, 'success');
    case '/subscriptions/cancelled':
      return subscriptionReturnPage(root, 'cancelled');
    case '/account/billing':
      return subscriptionReturnPage(root, 'billing');
    case '/orders':
      return orderPage(root, params);
    default:
      show(root, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/' }, 'Home')));
  }
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setApiKey(keyInput.value.trim());
  keyInput.value = '';
  describeKey();
  void route();
});

describeKey();
void route();
