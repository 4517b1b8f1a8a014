import { sql } from 'kysely';
import type { DbExecutor } from './schema.js';
import { paidEntries, refundEntries } from './financial-summary.js';
import { toSafeInteger } from '../domain/money.js';

export interface DayTotals {
  /** UTC calendar day, YYYY-MM-DD. */
  date: string;
  gross: number;
  refunds: number;
  net: number;
  creditsIssued: number;
  creditsSpent: number;
}

export interface CurrencySeries {
  currency: string;
  days: DayTotals[];
}

type SeriesRow = { currency: string; day: string; gross: string; refunds: string; credits_issued: string; credits_spent: string };

/**
 * Per currency and UTC day in [fromDay, toDay] (both inclusive, YYYY-MM-DD): gross paid and refunds as the summary
 * counts them (the same rows: paidEntries/refundEntries), net, credits issued (positive ledger entries: top-ups,
 * grants, subscription credits) and spent. Every day of the range is present for every currency that had any
 * movement in it (days without one are zeros), so a chart needs no gap filling.
 */
export async function financialSeries(db: DbExecutor, tenantId: string, fromDay: string, toDay: string): Promise<CurrencySeries[]> {
  const from = new Date(`${fromDay}T00:00:00Z`);
  const to = new Date(new Date(`${toDay}T00:00:00Z`).getTime() + 24 * 60 * 60 * 1000);
  const { rows } = await sql<SeriesRow>`
    with days as (
      select d::date as day from generate_series(${fromDay}::date, ${toDay}::date, interval '1 day') d
    ),
    paid as (
      select currency, (at at time zone 'UTC')::date as day, sum(amount) as amount
      from (${paidEntries(tenantId, from, to)}) e group by 1, 2
    ),
    refunded as (
      select currency, (at at time zone 'UTC')::date as day, sum(amount) as amount
      from (${refundEntries(tenantId, from, to)}) e group by 1, 2
    ),
    credits as (
      select currency, (created_at at time zone 'UTC')::date as day,
        coalesce(sum(amount) filter (where amount > 0), 0) as issued,
        coalesce(-sum(amount) filter (where amount < 0), 0) as spent
      from credit_ledger where tenant_id = ${tenantId} and created_at >= ${from} and created_at < ${to}
      group by 1, 2
    ),
    currencies as (select currency from paid union select currency from refunded union select currency from credits)
    select c.currency, to_char(d.day, 'YYYY-MM-DD') as day,
      coalesce(p.amount, 0)::text as gross, coalesce(r.amount, 0)::text as refunds,
      coalesce(cr.issued, 0)::text as credits_issued, coalesce(cr.spent, 0)::text as credits_spent
    from currencies c cross join days d
      left join paid p on p.currency = c.currency and p.day = d.day
      left join refunded r on r.currency = c.currency and r.day = d.day
      left join credits cr on cr.currency = c.currency and cr.day = d.day
    order by c.currency, d.day`.execute(db);

  const byCurrency = new Map<string, CurrencySeries>();
  for (const row of rows) {
    let series = byCurrency.get(row.currency);
    if (!series) {
      series = { currency: row.currency, days: [] };
      byCurrency.set(row.currency, series);
    }
    const gross = toSafeInteger(row.gross);
    const refunds = toSafeInteger(row.refunds);
    series.days.push({
      date: row.day,
      gross,
      refunds,
      net: gross - refunds,
      creditsIssued: toSafeInteger(row.credits_issued),
      creditsSpent: toSafeInteger(row.credits_spent),
    });
  }
  return [...byCurrency.values()];
}

export interface RecoveryFunnel {
  started: number;
  messaged: number;
  paid: number;
  expired: number;
  exhausted: number;
  cancelled: number;
  open: number;
}

/** Campaigns started in [from, to): how far they got (all currencies; amounts per currency are in recoveryStats). */
export async function recoveryFunnel(db: DbExecutor, tenantId: string, from: Date, to: Date): Promise<RecoveryFunnel> {
  const { rows } = await sql<Record<keyof RecoveryFunnel, string>>`
    select
      count(*)::text as started,
      count(*) filter (where attempts > 0)::text as messaged,
      count(*) filter (where status = 'paid')::text as paid,
      count(*) filter (where status = 'expired')::text as expired,
      count(*) filter (where status = 'exhausted')::text as exhausted,
      count(*) filter (where status = 'cancelled')::text as cancelled,
      count(*) filter (where status in ('active', 'paused', 'snoozed'))::text as open
    from recovery_campaigns where tenant_id = ${tenantId} and created_at >= ${from} and created_at < ${to}`.execute(db);
  const row = rows[0]!;
  return {
    started: Number(row.started),
    messaged: Number(row.messaged),
    paid: Number(row.paid),
    expired: Number(row.expired),
    exhausted: Number(row.exhausted),
    cancelled: Number(row.cancelled),
    open: Number(row.open),
  };
}
