import { api, ApiError, session, whenUnauthorized } from './api.js';
import { h } from './dom.js';
import type { Summary, ViewContext } from './types.js';
import { renderMoney } from './views/money.js';
import { renderRecoveries } from './views/recoveries.js';
import { renderStuck } from './views/stuck.js';
import { renderWebhooks } from './views/webhooks.js';

const VIEWS = {
  money: { title: 'Money', render: (view: HTMLElement) => renderMoney(view) },
  recoveries: { title: 'Recoveries', render: (view: HTMLElement, context: ViewContext) => renderRecoveries(view, context) },
  stuck: { title: 'Stuck work', render: (view: HTMLElement, context: ViewContext) => renderStuck(view, context) },
  webhooks: { title: 'Webhook health', render: (view: HTMLElement) => renderWebhooks(view) },
} as const;
type ViewName = keyof typeof VIEWS;

const root = document.getElementById('root')!;
const temporalUi = document.body.dataset.temporalUi ?? 'http://localhost:8233';
const namespace = document.body.dataset.namespace ?? 'default';

const workflowUrl = (workflowId: string) => `${temporalUi}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

function currentView(): ViewName {
  const name = location.hash.replace(/^#\/?/, '');
  return name in VIEWS ? (name as ViewName) : 'money';
}

function signInForm(message?: string): void {
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const input = h('input', { id: 'api-key', name: 'key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event: Event) => {
        event.preventDefault();
        session.signIn(input.value.trim());
        void start();
      },
    },
    h('h1', {}, 'Payments console'),
    h('p', {}, 'Sign in with an admin API key (npm run api-key:create -- --role admin). It is kept for this browser tab only and sent only to this gateway.'),
    h('label', { for: 'api-key' }, 'Admin API key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  root.replaceChildren(form);
  input.focus();
}

async function start(): Promise<void> {
  if (!session.key()) return signInForm();
  let tenantId: string;
  try {
    tenantId = (await api<Summary>('GET', '/v1/admin/financial-summary')).tenant_id;
  } catch (error) {
    session.signOut();
    const reason =
      error instanceof ApiError && error.status === 403
        ? 'That key is not an admin key: the console needs one with the admin role.'
        : error instanceof ApiError && error.status === 401
          ? 'That key was not accepted (unknown or revoked).'
          : `The gateway did not answer: ${String(error)}`;
    return signInForm(reason);
  }
  const context: ViewContext = { tenantId, workflowUrl };
  const view = h('main', { id: 'view', tabindex: '-1', 'aria-live': 'polite', 'aria-busy': 'true' });
  const links = (Object.keys(VIEWS) as ViewName[]).map((name) => h('a', { href: `#/${name}`, 'data-view': name }, VIEWS[name].title));
  root.replaceChildren(
    h('a', { class: 'skip', href: '#view', onclick: (event: Event) => (event.preventDefault(), view.focus()) }, 'Skip to content'),
    h(
      'header',
      {},
      h('h1', {}, 'Payments console'),
      h('span', { class: 'tenant' }, `Tenant ${tenantId}`),
      h('nav', { 'aria-label': 'Views' }, ...links),
      h(
        'button',
        {
          type: 'button',
          class: 'sign-out',
          onclick: () => {
            session.signOut();
            location.hash = '';
            signInForm('Signed out.');
          },
        },
        'Sign out',
      ),
    ),
    view,
  );

  const show = async (moveFocus: boolean) => {
    const name = currentView();
    for (const link of links) {
      if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${VIEWS[name].title} · Payments console`;
    view.setAttribute('aria-busy', 'true');
    view.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      await VIEWS[name].render(view, context);
    } catch (error) {
      if (!session.key()) return;
      view.replaceChildren(
        h('h2', {}, VIEWS[name].title),
        h('p', { class: 'error', role: 'alert' }, `Could not load this view: ${error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}`),
        h('button', { type: 'button', onclick: () => void show(true) }, 'Try again'),
      );
    } finally {
      view.setAttribute('aria-busy', 'false');
      view.dataset.ready = name;
    }
    if (moveFocus) view.focus();
  };
  window.onhashchange = () => void show(true);
  await show(false);
}

whenUnauthorized(() => {
  session.signOut();
  signInForm('The API refused the key (revoked?). Sign in again.');
});

void start();
