import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { emptyState, h, stat, table } from '../dom.js';
import { lastDays, money } from '../format.js';
import { rangePicker, type RangeDays } from '../range.js';
import type { Series, Summary } from '../types.js';
import { formatMinorUnits } from '../../domain/money.js';

let chosen: RangeDays = 30;

/** Per currency: gross, refunds, net, credits outstanding, MRR for the range, and a daily chart. */
export async function renderMoney(view: HTMLElement): Promise<void> {
  const range = lastDays(chosen);
  const [summary, series] = await Promise.all([
    api<Summary>('GET', `/v1/admin/financial-summary?from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`),
    api<Series>('GET', `/v1/admin/financial-summary/series?from=${range.fromDay}&to=${range.toDay}&interval=day`),
  ]);
  const rerender = (days: RangeDays) => {
    chosen = days;
    void renderMoney(view).then(() => view.querySelector<HTMLButtonElement>('.range [aria-pressed="true"]')?.focus());
  };

  const content: Node[] = [
    h('h2', {}, 'Money'),
    rangePicker(chosen, rerender),
    h('p', { class: 'hint' }, `${range.fromDay} to ${range.toDay} (UTC days). Amounts per currency, never added across currencies.`),
    h(
      'div',
      { class: 'stats' },
      stat('Active subscriptions', String(summary.active_subscriptions), 'active-subscriptions'),
      stat('Failed payments in range', String(summary.failed_payments), 'failed-payments'),
    ),
  ];

  if (summary.currencies.length === 0) {
    content.push(
      emptyState(
        `No money moved in the last ${chosen} days.`,
        'Paid orders, top-ups, subscription cycles, invoice payments and refunds show up here. Try a longer range, or check Webhook health: payments are recorded when Stripe’s events arrive.',
      ),
    );
  } else {
    content.push(
      table(
        'Totals per currency',
        ['Currency', 'Gross paid', 'Refunds', 'Net', 'Credits outstanding', 'MRR'],
        summary.currencies.map((totals) => {
          const cell = (name: string, amount: number) => h('span', { 'data-testid': `money-${totals.currency}-${name}` }, money(amount, totals.currency));
          return [
            totals.currency.toUpperCase(),
            cell('gross', totals.gross_paid),
            cell('refunds', totals.refunds),
            cell('net', totals.net),
            cell('credits', totals.credits_outstanding),
            cell('mrr', totals.mrr),
          ];
        }),
        { class: 'numbers', 'data-testid': 'money-totals' },
      ),
    );
  }

  const charts: Array<() => void> = [];
  for (const currency of series.currencies) {
    const box = h('figure', { class: 'chart', 'data-testid': `money-chart-${currency.currency}` });
    const moving = currency.days.filter((day) => day.gross || day.refunds || day.credits_issued || day.credits_spent);
    const daily = h(
      'details',
      {},
      h('summary', {}, `Daily ${currency.currency.toUpperCase()} figures (${moving.length} ${moving.length === 1 ? 'day' : 'days'} with movement)`),
      table(
        `Days with movement, ${currency.currency.toUpperCase()}`,
        ['Day', 'Gross', 'Refunds', 'Net', 'Credits issued', 'Credits spent'],
        moving.map((day) => [
          day.date,
          money(day.gross, currency.currency),
          money(day.refunds, currency.currency),
          money(day.net, currency.currency),
          money(day.credits_issued, currency.currency),
          money(day.credits_spent, currency.currency),
        ]),
        { class: 'numbers' },
      ),
    );
    content.push(box, daily);
    charts.push(() =>
      lineChart(box, {
        title: `${currency.currency.toUpperCase()} per day`,
        x: currency.days.map((day) => Date.parse(`${day.date}T00:00:00Z`) / 1000),
        series: [
          { label: 'Gross', values: currency.days.map((day) => day.gross) },
          { label: 'Refunds', values: currency.days.map((day) => day.refunds) },
          { label: 'Net', values: currency.days.map((day) => day.net) },
          { label: 'Credits issued', values: currency.days.map((day) => day.credits_issued) },
          { label: 'Credits spent', values: currency.days.map((day) => day.credits_spent) },
        ],
        format: (value) => formatMinorUnits(Math.round(value), currency.currency),
      }),
    );
  }
  view.replaceChildren(...content);
  // After the boxes are in the page, so the charts know their width.
  for (const draw of charts) draw();
}
