import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { financialSummary } from '../../../db/financial-summary.js';
import { recoveryStats } from '../../../db/recovery-campaigns.js';
import { currencyExponent } from '../../../domain/money.js';
import { problems } from '../../problem.js';
import { jsonResponse, problemResponse, routerFromTable, type Handlers, type RouteContract, type RouteDeps, type RouteTable } from '../../route.js';
import { z } from '../../zod.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/admin/financial-summary', access: 'admin', handler: 'financialSummary' },
];

const DAY_MS = 24 * 60 * 60 * 1000;

const summaryResponse = z
  .object({
    tenant_id: z.string(),
    from: z.string(),
    to: z.string(),
    currencies: z.array(
      z.object({
        currency: z.string(),
        exponent: z.number().int(),
        gross_paid: z.number().int(),
        refunds: z.number().int(),
        net: z.number().int(),
        credits_outstanding: z.number().int(),
        mrr: z.number().int(),
      }),
    ),
    active_subscriptions: z.number().int(),
    failed_payments: z.number().int(),
    open_invoices: z.object({ count: z.number().int(), amount_due: z.array(z.object({ currency: z.string(), amount: z.number().int() })) }),
    recoveries: z.array(
      z.object({
        currency: z.string(),
        campaigns: z.number().int(),
        paid: z.number().int(),
        recovery_rate: z.number().nullable().openapi({ description: 'Paid campaigns over finished ones started in the range' }),
        amount_chased: z.number().int(),
        amount_recovered: z.number().int(),
      }),
    ),
  })
  .openapi('FinancialSummary');

const contracts = {
  financialSummary: {
    summary: "The caller's tenant: gross paid, refunds, net, credits outstanding, subscriptions and MRR, failures, open invoices",
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Inclusive; default 30 days before `to`' }),
      to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Exclusive; default now' }),
    }),
    responses: { 200: jsonResponse('Summary; amounts in minor units per currency', summaryResponse), 403: problemResponse('Not an admin') },
  },
} satisfies Record<string, RouteContract>;

function adminHandlers({ db }: RouteDeps): Handlers<typeof contracts> {
  return {
    async financialSummary({ query, principal }, res) {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
      if (from >= to) throw problems.validation([{ field: 'query.from', message: 'must be before `to`' }]);
      const [summary, recoveries] = await Promise.all([
        financialSummary(db, principal.tenantId, from, to),
        recoveryStats(db, principal.tenantId, { from, to }),
      ]);
      res.json({
        tenant_id: summary.tenantId,
        from: from.toISOString(),
        to: to.toISOString(),
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
      });
    },
  };
}

export function adminRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Admin'], table, contracts, handlers: adminHandlers(deps) });
}
