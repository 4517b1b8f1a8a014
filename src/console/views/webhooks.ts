import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { emptyState, h, stat, table } from '../dom.js';
import { ago, dateTime } from '../format.js';
import type { WebhookHealth } from '../types.js';

/** Stripe webhook requests per hour by outcome (this gateway process, last 24 h), the last one, signature failures. */
export async function renderWebhooks(view: HTMLElement): Promise<void> {
  const health = await api<WebhookHealth>('GET', '/v1/admin/webhook-health');
  const outcomes = [...new Set(health.hours.flatMap((hour) => Object.keys(hour.outcomes)))].sort();
  const totals = Object.fromEntries(outcomes.map((outcome) => [outcome, health.hours.reduce((sum, hour) => sum + (hour.outcomes[outcome] ?? 0), 0)]));
  const chartBox = h('figure', { class: 'chart', 'data-testid': 'webhook-chart' });

  view.replaceChildren(
    h('h2', {}, 'Webhook health'),
    h(
      'p',
      { class: 'hint' },
      `Stripe webhook requests counted by this gateway process since ${dateTime(health.since)} (all tenants: an event’s tenant is known only once it is routed). A restart starts again from zero; Prometheus keeps the history (payments_webhook_events_total).`,
    ),
    h(
      'div',
      { class: 'stats' },
      stat('Last event received', health.last_event_at ? `${dateTime(health.last_event_at)} (${ago(health.last_event_at)})` : 'none yet', 'last-event'),
      stat('Signature failures (24 h)', String(health.signature_failures), 'signature-failures'),
      ...outcomes.map((outcome) => stat(`${outcome} (24 h)`, String(totals[outcome]), `outcome-${outcome}`)),
    ),
    outcomes.length === 0
      ? emptyState(
          'No webhook received since this gateway started.',
          'Point a Stripe webhook endpoint at /v1/webhooks/stripe on this gateway with STRIPE_WEBHOOK_SECRET set (or run `stripe listen --forward-to`), then send a test event.',
        )
      : chartBox,
    outcomes.length === 0
      ? ''
      : table(
          'Hours with requests',
          ['Hour (UTC)', ...outcomes, 'Signature failures'],
          health.hours
            .filter((hour) => Object.keys(hour.outcomes).length > 0 || hour.signature_failures > 0)
            .map((hour) => [dateTime(hour.hour), ...outcomes.map((outcome) => String(hour.outcomes[outcome] ?? 0)), String(hour.signature_failures)]),
          { class: 'numbers', 'data-testid': 'webhook-hours' },
        ),
  );
  if (outcomes.length > 0) {
    lineChart(chartBox, {
      title: 'Requests per hour by outcome',
      x: health.hours.map((hour) => Date.parse(hour.hour) / 1000),
      series: outcomes.map((outcome) => ({ label: outcome, values: health.hours.map((hour) => hour.outcomes[outcome] ?? 0) })),
      format: (value) => String(Math.round(value)),
      bars: false,
    });
  }
}
