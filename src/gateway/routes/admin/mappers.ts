import type { CurrencySeries } from '../../../db/financial-series.js';
import type { FinancialSummary } from '../../../db/financial-summary.js';
import type { RecoveryStats } from '../../../db/recovery-campaigns.js';
import { currencyExponent } from '../../../domain/money.js';

export function summaryJson(summary: FinancialSummary, recoveries: RecoveryStats[]) {
  return {
    tenant_id: summary.tenantId,
    from: summary.from.toISOString(),
    to: summary.to.toISOString(),
    currencies: summary.currencies.map((totals) => ({
      currency: totals.currency,
      exponent: currencyExponent(totals.currency),
      gross_paid: totals.grossPaid,
      refunds: totals.refunds,
      net: totals.net,
      credits_outstanding: totals.creditsOutstanding,
      mrr: totals.mrr,
    })),
    active_subscriptions: summary.activeSubscriptions,
    failed_payments: summary.failedPayments,
    open_invoices: { count: summary.openInvoices.count, amount_due: summary.openInvoices.amountDue },
    recoveries: recoveries.map((stats) => ({
      currency: stats.currency,
      campaigns: stats.campaigns,
      paid: stats.paid,
      recovery_rate: stats.recoveryRate,
      amount_chased: stats.amountChased,
      amount_recovered: stats.amountRecovered,
    })),
  };
}

export function seriesJson(tenantId: string, from: string, to: string, series: CurrencySeries[]) {
  return {
    tenant_id: tenantId,
    from,
    to,
    interval: 'day' as const,
    currencies: series.map(({ currency, days }) => ({
      currency,
      exponent: currencyExponent(currency),
      days: days.map((day) => ({
        date: day.date,
        gross: day.gross,
        refunds: day.refunds,
        net: day.net,
        credits_issued: day.creditsIssued,
        credits_spent: day.creditsSpent,
      })),
    })),
  };
}
