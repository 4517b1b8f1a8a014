import { sql, type RawBuilder } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/connection.js';

/**
 * Money metrics read from the tables that hold the money, at scrape time: the gateway and the worker are separate
 * processes (and restart), the ledger is the one place every credit and payment lands exactly once. Counters count
 * rows in a final state only (rows are never deleted and never leave a final state), so they only grow, as a
 * Prometheus counter must; states a row passes through are gauges.
 */
export interface BusinessMetricsOptions {
  db: Db;
  /** Only this tenant's rows (a tenant admin's scrape); undefined: every tenant (the operator's METRICS_PORT). */
  tenantId?: string;
}

type Row = Record<string, string | number | null>;

const tenantFilter = (tenantId: string | undefined): RawBuilder<unknown> => (tenantId === undefined ? sql`true` : sql`tenant_id = ${tenantId}`);

/** A counter (or gauge) whose value per label set is recomputed by `query` on every scrape. */
function dbMetric(
  type: 'counter' | 'gauge',
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  query: (where: RawBuilder<unknown>) => RawBuilder<Row>,
  options: BusinessMetricsOptions,
  value: (row: Row) => number,
): void {
  const Metric = type === 'counter' ? Counter : Gauge;
  new Metric({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect(this: Counter | Gauge) {
      const { rows } = await query(tenantFilter(options.tenantId)).execute(options.db);
      this.reset();
      for (const row of rows) {
        const labels = Object.fromEntries(labelNames.map((label) => [label, String(row[label] ?? '')]));
        this.inc(labels, value(row));
      }
    },
  });
}

/** Settled payments per flow: top-ups, orders, Stripe and manual invoices, transactions, subscription cycles. */
const paymentsQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select 'top_up' as flow, currency, case status when 'credited' then 'succeeded' else 'failed' end as outcome,
         count(*)::bigint as n, coalesce(sum(coalesce(credited_amount, amount)), 0)::bigint as amount
    from top_ups where status in ('credited', 'failed') and ${where} group by 1, 2, 3
  union all
  select 'order', currency, status, count(*), coalesce(sum(case status when 'succeeded' then amount_received else amount end), 0)
    from order_payments where status in ('succeeded', 'failed') and ${where} group by 1, 2, 3
  union all
  select 'invoice', currency, 'succeeded', count(*), coalesce(sum(amount), 0) from invoice_payments where ${where} group by 1, 2, 3
  union all
  select 'transaction', currency, status, count(*), coalesce(sum(amount), 0) from transaction_payments where ${where} group by 1, 2, 3
  union all
  select 'subscription', coalesce(currency, ''), case status when 'paid' then 'succeeded' else 'failed' end, count(*), coalesce(sum(amount_paid), 0)
    from subscription_cycles where ${where} group by 1, 2, 3`;

/** Refunds: those an order asked for, and excess payments given back. */
const refundsQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select 'order' as flow, currency, status, count(*)::bigint as n, coalesce(sum(amount), 0)::bigint as amount
    from order_refunds where status in ('succeeded', 'failed', 'canceled') and ${where} group by 1, 2, 3
  union all
  select 'excess_payment', currency, refund_status, count(*), coalesce(sum(amount), 0)
    from excess_payments where refund_status in ('succeeded', 'failed', 'canceled') and ${where} group by 1, 2, 3`;

const creditsQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select kind, currency, case when amount >= 0 then 'issued' else 'spent' end as direction, coalesce(sum(abs(amount)), 0)::bigint as amount
    from credit_ledger where ${where} group by 1, 2, 3`;

const campaignsStartedQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select item_kind, count(*)::bigint as n from recovery_campaigns where ${where} group by 1`;

const campaignsEndedQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select status as outcome, item_kind, count(*)::bigint as n
    from recovery_campaigns where status in ('paid', 'cancelled', 'expired', 'exhausted') and ${where} group by 1, 2`;

const campaignsOpenQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select status, count(*)::bigint as n from recovery_campaigns where status in ('active', 'paused', 'snoozed') and ${where} group by 1`;

const messagesQuery = (where: RawBuilder<unknown>) => sql<Row>`
  select channel, status, count(*)::bigint as n from recovery_messages where ${where} group by 1, 2`;

export function registerBusinessMetrics(registry: Registry, options: BusinessMetricsOptions): void {
  const count = (row: Row) => Number(row.n);
  const amount = (row: Row) => Number(row.amount);
  const flowLabels = ['flow', 'currency', 'outcome'];
  const refundLabels = ['flow', 'currency', 'status'];
  dbMetric('counter', registry, 'payments_payments_total', 'Settled payments by flow, currency and outcome.', flowLabels, paymentsQuery, options, count);
  dbMetric('counter', registry, 'payments_payments_minor_units_total', 'Settled payment amounts in minor units (what Stripe received).', flowLabels, paymentsQuery, options, amount);
  dbMetric('counter', registry, 'payments_refunds_total', 'Refunds in a final state by flow, currency and status.', refundLabels, refundsQuery, options, count);
  dbMetric('counter', registry, 'payments_refunds_minor_units_total', 'Refunded amounts in minor units by flow, currency and status.', refundLabels, refundsQuery, options, amount);
  dbMetric(
    'counter',
    registry,
    'payments_credits_minor_units_total',
    'Credits issued (top-ups, grants, subscription cycles) and spent, by ledger kind, currency and direction.',
    ['kind', 'currency', 'direction'],
    creditsQuery,
    options,
    amount,
  );
  dbMetric('counter', registry, 'payments_recovery_campaigns_started_total', 'Recovery campaigns started, by item kind.', ['item_kind'], campaignsStartedQuery, options, count);
  dbMetric('counter', registry, 'payments_recovery_campaigns_ended_total', 'Recovery campaigns ended, by outcome and item kind.', ['outcome', 'item_kind'], campaignsEndedQuery, options, count);
  dbMetric('gauge', registry, 'payments_recovery_campaigns_open', 'Recovery campaigns still running, by status.', ['status'], campaignsOpenQuery, options, count);
  dbMetric('gauge', registry, 'payments_recovery_messages', 'Recovery messages by channel and current status (claimed, sent, delivered, failed…).', ['channel', 'status'], messagesQuery, options, count);
}
