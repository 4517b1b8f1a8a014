import { createHash, randomUUID } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { Router } from 'express';
import {
  appendLedgerEntry,
  InsufficientBalanceError,
  listBalances,
  listLedgerEntries,
  SourceKeyConflictError,
  type LedgerEntry,
  type NewLedgerEntry,
} from '../../db/ledger.js';
import { findTopUp } from '../../db/top-ups.js';
import { validateTopUpAmount } from '../../credits/top-up-amount.js';
import { updateFailureType } from '../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { topUpWorkflowId } from '../../temporal/workflow-ids.js';
import { createCheckoutSessionUpdate, topUpWorkflow } from '../../../workflows/topup.js';
import { requireRole, resolveAccountId, type Principal } from '../auth.js';
import { allowedOrigin } from '../origin.js';
import { HttpProblem, problems } from '../problem.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { currency, idempotencyHeaders as idempotencyHeadersFor, minorUnits as minorUnitsUpTo, text } from '../inputs.js';

export type CreditRouteDeps = RouteDeps;

const minorUnits = minorUnitsUpTo();
const accountId = text({ min: 1, max: 200 }).optional().openapi({ description: 'Wallet to act on (API keys only; JWT users act on their own).' });
const idempotencyHeaders = idempotencyHeadersFor('Replays with the same key return the original result.');

const topUpBody = z.object({ amount: minorUnits, currency, account_id: accountId }).strict().openapi('CreateTopUp');
const topUpResponse = z
  .object({ id: z.string(), url: z.string(), checkout_session_id: z.string(), expires_at: z.number().int().nullable() })
  .openapi('TopUpCheckout');
const topUpStatus = z
  .object({
    id: z.string(),
    account_id: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(['pending', 'processing', 'credited', 'expired', 'failed']),
    credited_amount: z.number().int().nullable(),
  })
  .openapi('TopUp');
const ledgerEntry = z
  .object({
    id: z.string(),
    account_id: z.string(),
    currency: z.string(),
    kind: z.enum(['top_up', 'spend', 'grant', 'subscription_cycle']),
    amount: z.number().int(),
    balance_after: z.number().int(),
    description: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('LedgerEntry');
const balanceResponse = z
  .object({ account_id: z.string(), balances: z.array(z.object({ currency: z.string(), balance: z.number().int() })) })
  .openapi('Balances');
const ledgerPage = z.object({ data: z.array(ledgerEntry), next_cursor: z.string().nullable() }).openapi('LedgerPage');
const spendBody = z
  .object({ amount: minorUnits, currency, description: text({ max: 500, trim: true }).optional(), account_id: accountId })
  .strict()
  .openapi('Spend');
const grantBody = z
  .object({ amount: minorUnits, currency, reason: text({ min: 1, max: 500, trim: true }), account_id: text({ min: 1, max: 200 }) })
  .strict()
  .openapi('Grant');
const entryResponse = z.object({ entry: ledgerEntry, replayed: z.boolean() }).openapi('LedgerWrite');

function entryJson(entry: LedgerEntry) {
  return {
    id: entry.id,
    account_id: entry.accountId,
    currency: entry.currency,
    kind: entry.kind,
    amount: entry.amount,
    balance_after: entry.balanceAfter,
    description: entry.description,
    created_at: entry.createdAt,
  };
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** Idempotency keys are scoped to the tenant and operation, so two tenants can never collide. */
function sourceKeyFor(kind: string, principal: Principal, key: string | undefined): string {
  return `${kind}:${key ? `key:${digest(principal.tenantId, key)}` : `req:${randomUUID()}`}`;
}

export function creditRoutes(registry: OpenAPIRegistry, { config, db, temporal, authenticate, writeLimit }: CreditRouteDeps): Router {
  const router = Router();
  const retry = retryScheduleFromConfig(config);
  const tags = ['Credits'];

  async function append(entry: NewLedgerEntry) {
    try {
      return await appendLedgerEntry(db, entry);
    } catch (error) {
      if (error instanceof InsufficientBalanceError) {
        throw problems.conflict('insufficient_balance', error.message, { balance: error.balance, requested: error.requested });
      }
      if (error instanceof SourceKeyConflictError) {
        throw new HttpProblem(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with different parameters.');
      }
      throw error;
    }
  }

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/credits/top-ups',
      summary: 'Start a credit top-up: returns a Stripe Checkout URL',
      tags,
      body: topUpBody,
      headers: idempotencyHeaders,
      idempotency: { db },
      middleware: [authenticate, writeLimit],
      responses: {
        201: jsonResponse('Checkout Session created (or the existing one for this Idempotency-Key)', topUpResponse),
        400: problemResponse('Invalid amount or currency'),
        403: problemResponse('Origin not allowed'),
        409: problemResponse('This top-up already finished'),
        503: problemResponse('Temporal unavailable; retry with the same Idempotency-Key'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const errors = validateTopUpAmount(body.amount, body.currency, config);
      if (errors.length > 0) throw problems.validation(errors);
      const origin = allowedOrigin(raw, config.ALLOWED_FRONTEND_ORIGINS);
      const account = resolveAccountId(principal, body.account_id);
      const key = raw.header('idempotency-key');
      const topUpId = `tu_${key ? digest(principal.tenantId, account, key) : randomUUID().replaceAll('-', '')}`;
      const workflowId = topUpWorkflowId(principal.tenantId, topUpId);
      const query = `top_up_id=${topUpId}`;
      try {
        const session = await temporal.withDeadline(Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4, () =>
          temporal.workflow.executeUpdateWithStart(createCheckoutSessionUpdate, {
            args: [
              {
                accountId: account,
                amount: body.amount,
                currency: body.currency,
                successUrl: `${origin}/credits/top-ups/success?${query}&session_id={CHECKOUT_SESSION_ID}`,
                cancelUrl: `${origin}/credits/top-ups/cancelled?${query}`,
              },
            ],
            startWorkflowOperation: new WithStartWorkflowOperation(topUpWorkflow, {
              workflowId,
              taskQueue: config.TEMPORAL_TASK_QUEUE,
              args: [{ tenantId: principal.tenantId, topUpId, accountId: account, retry }],
              workflowIdConflictPolicy: 'USE_EXISTING',
              // A finished top-up is never reopened by a replayed request.
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            }),
          }),
        );
        res.status(201).json({ id: topUpId, url: session.url, checkout_session_id: session.id, expires_at: session.expiresAt });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) {
          throw problems.conflict('top_up_finished', 'This top-up already finished; use a new Idempotency-Key for a new one.');
        }
        if (error instanceof WorkflowUpdateFailedError) {
          const type = updateFailureType(error);
          if (type === 'StripeTransientError') throw error; // the problem handler: 503 stripe_unavailable
          if (type === 'StripeClientError') {
            throw new HttpProblem(502, 'stripe_error', 'Stripe refused to create the Checkout Session.');
          }
          throw problems.conflict('top_up_rejected', error.cause?.message ?? error.message);
        }
        throw error;
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/credits/top-ups/{id}',
      summary: 'A top-up and its status',
      tags,
      params: z.object({ id: z.string().regex(/^tu_[0-9a-f]{32}$/, 'not a top-up id') }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('The top-up', topUpStatus), 404: problemResponse('Unknown top-up') },
    },
    async ({ params, principal }, res) => {
      const topUp = await findTopUp(db, principal.tenantId, params.id);
      if (!topUp || (principal.kind === 'jwt' && principal.role !== 'admin' && topUp.accountId !== principal.userId)) {
        throw problems.notFound('top-up');
      }
      res.json({
        id: topUp.id,
        account_id: topUp.accountId,
        amount: topUp.amount,
        currency: topUp.currency,
        status: topUp.status,
        credited_amount: topUp.creditedAmount,
      });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/credits/balance',
      summary: 'Credit balance per currency, in minor units',
      tags,
      query: z.object({ account_id: accountId }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('Balances', balanceResponse) },
    },
    async ({ query, principal }, res) => {
      const account = resolveAccountId(principal, query.account_id);
      res.json({ account_id: account, balances: await listBalances(db, principal.tenantId, account) });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/credits/ledger',
      summary: 'Ledger entries, newest first, cursor-paginated',
      tags,
      query: z.object({
        account_id: accountId,
        limit: z.coerce.number().int().min(1).max(100).default(25),
        cursor: z.string().regex(/^\d{1,19}$/, 'not a cursor from this API').optional(),
      }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('A page of entries', ledgerPage) },
    },
    async ({ query, principal }, res) => {
      const account = resolveAccountId(principal, query.account_id);
      const entries = await listLedgerEntries(db, { tenantId: principal.tenantId, accountId: account, limit: query.limit + 1, before: query.cursor });
      const page = entries.slice(0, query.limit);
      res.json({ data: page.map(entryJson), next_cursor: entries.length > query.limit ? page[page.length - 1]!.id : null });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/credits/spend',
      summary: 'Spend credits; never below zero',
      tags,
      body: spendBody,
      headers: idempotencyHeaders,
      idempotency: { db },
      middleware: [authenticate, writeLimit],
      responses: {
        201: jsonResponse('Spent', entryResponse),
        200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', entryResponse),
        409: problemResponse('Insufficient balance'),
        422: problemResponse('Idempotency-Key reused with different parameters'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const account = resolveAccountId(principal, body.account_id);
      const { entry, created } = await append({
        tenantId: principal.tenantId,
        accountId: account,
        currency: body.currency,
        kind: 'spend',
        amount: -body.amount,
        sourceKey: sourceKeyFor('spend', principal, raw.header('idempotency-key')),
        description: body.description,
      });
      res.status(created ? 201 : 200).json({ entry: entryJson(entry), replayed: !created });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/credits/grants',
      summary: 'Grant credits to a wallet (admin)',
      tags,
      body: grantBody,
      headers: idempotencyHeaders,
      idempotency: { db },
      middleware: [authenticate, requireRole('admin'), writeLimit],
      responses: {
        201: jsonResponse('Granted', entryResponse),
        200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', entryResponse),
        403: problemResponse('Not an admin'),
        422: problemResponse('Idempotency-Key reused with different parameters'),
      },
    },
    async ({ body, principal, raw }, res) => {
      const { entry, created } = await append({
        tenantId: principal.tenantId,
        accountId: body.account_id,
        currency: body.currency,
        kind: 'grant',
        amount: body.amount,
        sourceKey: sourceKeyFor('grant', principal, raw.header('idempotency-key')),
        description: body.reason,
      });
      res.status(created ? 201 : 200).json({ entry: entryJson(entry), replayed: !created });
    },
  );

  return router;
}
