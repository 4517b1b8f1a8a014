import { api, ApiError } from '../api.js';
import { emptyState, h, statusLine, table } from '../dom.js';
import { dateTime, lastDays, money, percent } from '../format.js';
import { rangePicker, type RangeDays } from '../range.js';
import type { Campaign, Funnel, Summary, ViewContext } from '../types.js';

const STATUSES = ['active', 'paused', 'snoozed', 'paid', 'cancelled', 'expired', 'exhausted'] as const;
const FINAL = new Set(['paid', 'cancelled', 'expired', 'exhausted']);

let chosen: RangeDays = 30;
let search = { customer: '', status: '' };

function nextStep(campaign: Campaign): string {
  switch (campaign.status) {
    case 'active':
      return campaign.next_step_at ? `Step ${campaign.attempts + 1} at ${dateTime(campaign.next_step_at)}` : `Step ${campaign.attempts + 1} being planned`;
    case 'paused':
      return 'Paused: resume to continue';
    case 'snoozed':
      return campaign.next_step_at ? `Snoozed until ${dateTime(campaign.next_step_at)}` : 'Snoozed';
    case 'paid':
      return `Done: recovered ${money(campaign.recovered_amount ?? campaign.amount, campaign.currency)}`;
    default:
      return `Done: ${campaign.status}`;
  }
}

const customerOf = (campaign: Campaign) => campaign.customer.email ?? campaign.customer.phone ?? campaign.customer.id ?? '–';

/** The funnel, rate and amount recovered per currency, and the searchable campaign list with the operator's actions. */
export async function renderRecoveries(view: HTMLElement, context: ViewContext): Promise<void> {
  const range = lastDays(chosen);
  const query = new URLSearchParams({ limit: '100' });
  if (search.customer) query.set('customer', search.customer);
  if (search.status) query.set('status', search.status);
  const rangeQuery = `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`;
  const [funnel, summary, list] = await Promise.all([
    api<Funnel>('GET', `/v1/admin/recovery-funnel?${rangeQuery}`),
    api<Summary>('GET', `/v1/admin/financial-summary?${rangeQuery}`),
    api<{ data: Campaign[] }>('GET', `/v1/recoveries?${query.toString()}`),
  ]);
  const status = statusLine();
  const again = (focus?: string) =>
    renderRecoveries(view, context).then(() => {
      if (focus) view.querySelector<HTMLElement>(focus)?.focus();
    });

  const steps: Array<[string, keyof Funnel]> = [
    ['Started', 'started'],
    ['Messaged', 'messaged'],
    ['Paid', 'paid'],
    ['Expired', 'expired'],
    ['Exhausted', 'exhausted'],
    ['Cancelled', 'cancelled'],
    ['Still open', 'open'],
  ];
  const funnelList = h(
    'ol',
    { class: 'funnel', 'aria-label': 'Campaigns started in the range, by how far they got' },
    ...steps.map(([label, key]) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${funnel.started > 0 ? Math.round((funnel[key] / funnel.started) * 100) : 0}%`;
      return h('li', {}, h('span', { class: 'funnel-label' }, label), h('span', { class: 'funnel-count', 'data-testid': `funnel-${key}` }, String(funnel[key])), bar);
    }),
  );

  const act = async (campaign: Campaign, action: 'pause' | 'resume' | 'send-now' | 'mark-paid') => {
    status.textContent = `${action} ${campaign.id}…`;
    try {
      const after = await api<Campaign>('POST', `/v1/recoveries/${encodeURIComponent(campaign.id)}/${action}`, {});
      await again(`[data-campaign="${CSS.escape(campaign.id)}"] button`);
      view.querySelector('[role="status"]')!.textContent = `${campaign.id}: ${action} done, now ${after.status}.`;
    } catch (error) {
      status.textContent = `${campaign.id}: ${action} refused: ${error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)}`;
    }
  };

  const actions = (campaign: Campaign) => {
    if (FINAL.has(campaign.status)) return h('span', { class: 'muted' }, 'No actions (finished)');
    const button = (label: string, action: 'pause' | 'resume' | 'send-now' | 'mark-paid') =>
      h('button', { type: 'button', 'aria-label': `${label} ${campaign.id}`, onclick: () => void act(campaign, action) }, label);
    return h(
      'span',
      { class: 'actions' },
      campaign.status === 'active' || campaign.status === 'snoozed' ? button('Pause', 'pause') : null,
      campaign.status !== 'active' ? button('Resume', 'resume') : null,
      button('Send now', 'send-now'),
      button('Mark paid', 'mark-paid'),
    );
  };

  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        search = { customer: String(data.get('customer') ?? '').trim(), status: String(data.get('status') ?? '') };
        void again('#recovery-customer');
      },
    },
    h('label', { for: 'recovery-customer' }, 'Customer email, phone or id'),
    h('input', { id: 'recovery-customer', name: 'customer', type: 'search', value: search.customer, autocomplete: 'off' }),
    h('label', { for: 'recovery-status' }, 'Status'),
    h(
      'select',
      { id: 'recovery-status', name: 'status' },
      h('option', { value: '' }, 'Any'),
      ...STATUSES.map((value) => h('option', { value, selected: value === search.status }, value)),
    ),
    h('button', { type: 'submit' }, 'Search'),
  );

  const rows = list.data.map((campaign) => {
    const cells = [
      h('a', { href: context.workflowUrl(`recovery:${context.tenantId}:${campaign.id}`), target: '_blank', rel: 'noopener' }, campaign.id),
      customerOf(campaign),
      money(campaign.amount, campaign.currency),
      h('span', { class: `badge badge-${campaign.status}`, 'data-testid': 'campaign-status' }, campaign.status),
      nextStep(campaign),
      actions(campaign),
    ];
    return h('tr', { 'data-campaign': campaign.id }, ...cells.map((cell) => h('td', {}, cell)));
  });
  const campaignTable = h(
    'table',
    { 'data-testid': 'campaigns' },
    h('caption', {}, `Campaigns (newest first${list.data.length === 100 ? ', first 100' : ''}); the id opens the workflow in the Temporal UI`),
    h('thead', {}, h('tr', {}, ...['Campaign', 'Customer', 'Amount', 'Status', 'Next step', 'Actions'].map((header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, ...rows),
  );

  view.replaceChildren(
    h('h2', {}, 'Recoveries'),
    rangePicker(chosen, (days) => {
      chosen = days;
      void again('.range [aria-pressed="true"]');
    }),
    h('h3', {}, `Funnel: campaigns started in the last ${chosen} days`),
    funnel.started === 0
      ? emptyState(`No campaign started in the last ${chosen} days.`, 'Campaigns start when a payment fails or through POST /v1/recoveries; try a longer range.')
      : funnelList,
    summary.recoveries.length === 0
      ? h('p', { class: 'muted' }, 'No recovery amounts in this range.')
      : table(
          'Recovered per currency (campaigns started in the range)',
          ['Currency', 'Campaigns', 'Paid', 'Recovery rate', 'Amount chased', 'Amount recovered'],
          summary.recoveries.map((stats) => [
            stats.currency.toUpperCase(),
            String(stats.campaigns),
            String(stats.paid),
            h('span', { 'data-testid': `recovery-rate-${stats.currency}` }, percent(stats.recovery_rate)),
            money(stats.amount_chased, stats.currency),
            h('span', { 'data-testid': `recovered-${stats.currency}` }, money(stats.amount_recovered, stats.currency)),
          ]),
          { class: 'numbers' },
        ),
    h('h3', {}, 'Campaigns'),
    form,
    status,
    list.data.length === 0
      ? emptyState(
          search.customer || search.status ? 'No campaign matches this search.' : 'No recovery campaigns yet.',
          search.customer || search.status
            ? 'Search by the full email, phone (+15555550100) or customer id, or set Status to Any.'
            : 'A campaign starts when a payment fails, or through POST /v1/recoveries.',
        )
      : campaignTable,
  );
}
