import { jsonResponse, problemResponse, type RouteContract } from '../../route.js';
import { z } from '../../zod.js';

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

const seriesResponse = z
  .object({
    tenant_id: z.string(),
    from: z.string().openapi({ description: 'First UTC day, YYYY-MM-DD' }),
    to: z.string().openapi({ description: 'Last UTC day (inclusive), YYYY-MM-DD' }),
    interval: z.literal('day'),
    currencies: z.array(
      z.object({
        currency: z.string(),
        exponent: z.number().int(),
        days: z.array(
          z.object({
            date: z.string(),
            gross: z.number().int(),
            refunds: z.number().int(),
            net: z.number().int(),
            credits_issued: z.number().int(),
            credits_spent: z.number().int(),
          }),
        ),
      }),
    ),
  })
  .openapi('FinancialSeries');

const funnelResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    started: z.number().int(),
    messaged: z.number().int().openapi({ description: 'Campaigns with at least one step sent (or attempted)' }),
    paid: z.number().int(),
    expired: z.number().int(),
    exhausted: z.number().int(),
    cancelled: z.number().int(),
    open: z.number().int().openapi({ description: 'Still active, paused or snoozed' }),
  })
  .openapi('RecoveryFunnel');

const webhookHealthResponse = z
  .object({
    scope: z.literal('gateway_process').openapi({
      description: 'Counted in this gateway process since it started (platform-wide: a webhook belongs to no tenant until routed)',
    }),
    since: z.string(),
    hours: z.array(
      z.object({
        hour: z.string().openapi({ description: 'Start of the UTC hour' }),
        outcomes: z.record(z.string(), z.number().int()).openapi({ description: 'Requests by outcome (routed, ignored, refused, unavailable, …)' }),
        signature_failures: z.number().int(),
      }),
    ),
    last_event_at: z.string().nullable(),
    last_verified_event_at: z.string().nullable(),
    signature_failures: z.number().int().openapi({ description: 'In the 25 hours shown' }),
  })
  .openapi('WebhookHealth');

const range = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Inclusive; default 30 days before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Exclusive; default now' }),
});

export const contracts = {
  financialSummary: {
    summary: "The caller's tenant: gross paid, refunds, net, credits outstanding, subscriptions and MRR, failures, open invoices",
    query: range,
    responses: { 200: jsonResponse('Summary; amounts in minor units per currency', summaryResponse), 403: problemResponse('Not an admin') },
  },
  financialSeries: {
    summary: "The caller's tenant per UTC day: gross paid, refunds, net, credits issued and spent, per currency",
    query: z.object({
      from: z.iso.date().optional().openapi({ description: 'First UTC day (inclusive); default 29 days before `to`' }),
      to: z.iso.date().optional().openapi({ description: 'Last UTC day (inclusive); default today' }),
      interval: z.enum(['day']).default('day'),
    }),
    responses: {
      200: jsonResponse('Every day of the range for every currency with movement in it; amounts in minor units', seriesResponse),
      400: problemResponse('Invalid range (from after to, or more than 400 days)'),
      403: problemResponse('Not an admin'),
    },
  },
  recoveryFunnel: {
    summary: 'Recovery campaigns started in the range: how many were messaged, paid, expired, cancelled or are still open',
    query: range,
    responses: { 200: jsonResponse('Counts', funnelResponse), 403: problemResponse('Not an admin') },
  },
  webhookHealth: {
    summary: 'Stripe webhook requests per hour by outcome over the last 24 hours, the last one received, signature failures',
    responses: { 200: jsonResponse('Per-hour counts of this gateway process', webhookHealthResponse), 403: problemResponse('Not an admin') },
  },
} satisfies Record<string, RouteContract>;
