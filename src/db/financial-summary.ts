import { sql, type RawBuilder } from 'kysely';
import type { DbExecutor } from './schema.js';
import { toSafeInteger } from '../domain/money.js';

export interface CurrencyTotals {
  currency: string;
  grossPaid: number;
  refunds: number;
  net: number;
  creditsOutstanding: number;
  mrr: number;
}

export interface FinancialSummary {
  tenantId: string;
  from: Date;
  to: Date;
  currencies: CurrencyTotals[];
  activeSubscriptions: number;
  failedPayments: number;
  openInvoices: { count: number; amountDue: Array<{ currency: string; amount: number }> };
}

type Row = { currency: string; amount: string };

/**
 * Every payment received in [from, to) as rows (currency, amount, at): the one definition of "gross paid" that the
 * summary and the daily series (financial-series.ts) both sum.
 */
export function paidEntries(tenantId: string, from: Date, to: Date): RawBuilder<{ currency: string; amount: string; at: Date }> {
  return sql`
    select currency, captured_amount as amount, paid_at as at from orders
      where tenant_id = ${tenantId} and paid_at >= ${from} and paid_at < ${to} and captured_amount > 0
    union all
    select currency, amount, created_at from credit_ledger
      where tenant_id = ${tenantId} and kind = 'top_up' and created_at >= ${from} and created_at < ${to}
    union all
    select currency, amount_paid, created_at from subscription_cycles
      where tenant_id = ${tenantId} and status = 'paid' and created_at >= ${from} and created_at < ${to} and currency is not null
    union all
    select p.currency, p.amount, p.paid_at from invoice_payments p
      where p.tenant_id = ${tenantId} and p.paid_at >= ${from} and p.paid_at < ${to}
        -- A subquery, not a join: one primary-key lookup per payment in the range, where a join may hash every
        -- invoice the tenant ever had.
        and (select i.stripe_subscription_id is null and i.status <> 'cancelled' from invoices i
             where i.tenant_id = p.tenant_id and i.id = p.invoice_id)
    union all
    select currency, paid_amount, paid_at from transactions
      where tenant_id = ${tenantId} and paid_at >= ${from} and paid_at < ${to} and paid_amount is not null
    union all
    select currency, amount, detected_at from excess_payments
      where tenant_id = ${tenantId} and detected_at >= ${from} and detected_at < ${to}`;
}

/** Every refund Stripe confirmed in [from, to) as rows (currency, amount, at). */
export function refundEntries(tenantId: string, from: Date, to: Date): RawBuilder<{ currency: string; amount: string; at: Date }> {
  return sql`
    select currency, amount, created_at as at from order_refunds
      where tenant_id = ${tenantId} and status = 'succeeded' and created_at >= ${from} and created_at < ${to}
    union all
    select currency, amount, detected_at from excess_payments
      where tenant_id = ${tenantId} and refund_status = 'succeeded' and detected_at >= ${from} and detected_at < ${to}`;
}

/**
 * Money is summed per currency only (never across currencies). Subscription invoices count once, as
 * subscription cycles, even though the invoice lifecycle also tracks them. Money that arrived for an item already
 * settled (excess_payments, including a payment on a void invoice) counts once as received and, when Stripe
 * confirmed its refund, as refunded.
 */
export async function financialSummary(db: DbExecutor, tenantId: string, from: Date, to: Date): Promise<FinancialSummary> {
  const [gross, refunds, credits, mrr, counts, openInvoices] = await Promise.all([
    sql<Row>`select currency, sum(amount)::text as amount from (${paidEntries(tenantId, from, to)}) paid group by currency`.execute(db),
    sql<Row>`select currency, sum(amount)::text as amount from (${refundEntries(tenantId, from, to)}) refunded group by currency`.execute(db),
    sql<Row>`
      select currency, sum(balance)::text as amount from credit_balances where tenant_id = ${tenantId} group by currency`.execute(db),
    sql<Row>`
      select currency, round(sum(
        coalesce(unit_amount, 0) * coalesce(quantity, 1) *
        case interval when 'month' then 1.0 when 'year' then 1.0 / 12 when 'week' then 52.0 / 12 when 'day' then 365.0 / 12 else 0 end
        / greatest(coalesce(interval_count, 1), 1)
      ))::bigint::text as amount
      from subscriptions
      where tenant_id = ${tenantId} and status in ('active', 'trialing', 'past_due') and currency is not null
      group by currency`.execute(db),
    sql<{ active: string; failed: string }>`
      select
        (select count(*) from subscriptions where tenant_id = ${tenantId} and status in ('active', 'trialing', 'past_due'))::text as active,
        ((select count(*) from order_payments
            where tenant_id = ${tenantId} and status = 'failed' and created_at >= ${from} and created_at < ${to})
         + (select count(*) from subscription_cycles
            where tenant_id = ${tenantId} and status = 'failed' and created_at >= ${from} and created_at < ${to}))::text as failed`.execute(db),
    sql<Row & { count: string }>`
      select currency, count(*)::text as count, sum(amount_due - amount_paid)::text as amount
      from invoices where tenant_id = ${tenantId} and status = 'pending' group by currency`.execute(db),
  ]);

  const byCurrency = new Map<string, CurrencyTotals>();
  const totals = (currency: string) => {
    let entry = byCurrency.get(currency);
    if (!entry) {
      entry = { currency, grossPaid: 0, refunds: 0, net: 0, creditsOutstanding: 0, mrr: 0 };
      byCurrency.set(currency, entry);
    }
    return entry;
  };
  for (const row of gross.rows) totals(row.currency).grossPaid = toSafeInteger(row.amount);
  for (const row of refunds.rows) totals(row.currency).refunds = toSafeInteger(row.amount);
  for (const row of credits.rows) totals(row.currency).creditsOutstanding = toSafeInteger(row.amount);
  for (const row of mrr.rows) totals(row.currency).mrr = toSafeInteger(row.amount);
  for (const entry of byCurrency.values()) entry.net = entry.grossPaid - entry.refunds;

  const count = counts.rows[0]!;
  return {
    tenantId,
    from,
    to,
    currencies: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    activeSubscriptions: Number(count.active),
    failedPayments: Number(count.failed),
    openInvoices: {
      count: openInvoices.rows.reduce((sum, row) => sum + Number(row.count), 0),
      amountDue: openInvoices.rows.map((row) => ({ currency: row.currency, amount: toSafeInteger(row.amount) })),
    },
  };
}
