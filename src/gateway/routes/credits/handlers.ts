import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { appendLedgerEntry, InsufficientBalanceError, listBalances, listLedgerEntries, SourceKeyConflictError, type NewLedgerEntry } from '../../../db/ledger.js';
import { findTopUp } from '../../../db/top-ups.js';
import { topUpAmountErrors, topUpOptions, topUpOptionsFor } from '../../../domain/top-up/options.js';
import { updateFailureType } from '../../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../../temporal/retry.js';
import { topUpWorkflowId } from '../../../temporal/workflow-ids.js';
import {
  createCheckoutSessionUpdate,
  createPaymentIntentUpdate,
  TOP_UP_WORKFLOW_TYPE,
  type TopUpWorkflow,
} from '../../../../workflows/top-up/messages.js';
import { resolveAccountId, type Principal } from '../../auth.js';
import { checkoutReturnUrls } from '../../origin.js';
import { HttpProblem, problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { digest } from '../../schemas.js';
import { ledgerEntryJson, topUpJson } from './mappers.js';
import type { contracts } from './schemas.js';

/** Idempotency keys are scoped to the tenant and operation, so two tenants can never collide. */
function sourceKeyFor(kind: string, principal: Principal, key: string | undefined): string {
  return `${kind}:${key ? `key:${digest(principal.tenantId, key)}` : `req:${randomUUID()}`}`;
}

export function creditHandlers({ config, db, temporal }: RouteDeps): Handlers<typeof contracts> {
  const retry = retryScheduleFromConfig(config);

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

  return {
    async topUpOptions({ query }, res) {
      if (query.currency === undefined) {
        res.json({ data: topUpOptions(config) });
        return;
      }
      const options = topUpOptionsFor(query.currency, config);
      res.json({ data: options ? [options] : [] });
    },

    async startTopUp({ body, principal, raw }, res) {
      const errors = topUpAmountErrors(body.amount, body.currency, config);
      if (errors.length > 0) throw problems.validation(errors);
      const elements = body.mode === 'payment_intent';
      const account = resolveAccountId(principal, body.account_id);
      const key = raw.header('idempotency-key');
      const topUpId = `tu_${key ? digest(principal.tenantId, account, key) : randomUUID().replaceAll('-', '')}`;
      const workflowId = topUpWorkflowId(principal.tenantId, topUpId);
      // Checkout needs return URLs on an allowed origin (or the tenant's frontend); Elements confirms in the caller's page.
      const urls = elements ? undefined : await checkoutReturnUrls({ config, db }, raw, principal.tenantId, body, { kind: 'top_up', topUpId });
      const startWorkflowOperation = () =>
        new WithStartWorkflowOperation<TopUpWorkflow>(TOP_UP_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [{ tenantId: principal.tenantId, topUpId, accountId: account, retry }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          // A finished top-up is never reopened by a replayed request.
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      const deadline = Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;
      try {
        if (elements) {
          const intent = await temporal.withDeadline(deadline, () =>
            temporal.workflow.executeUpdateWithStart(createPaymentIntentUpdate, {
              args: [{ accountId: account, amount: body.amount, currency: body.currency }],
              startWorkflowOperation: startWorkflowOperation(),
            }),
          );
          res.status(201).json({ id: topUpId, client_secret: intent.clientSecret, payment_intent_id: intent.id });
          return;
        }
        const session = await temporal.withDeadline(deadline, () =>
          temporal.workflow.executeUpdateWithStart(createCheckoutSessionUpdate, {
            args: [
              {
                accountId: account,
                amount: body.amount,
                currency: body.currency,
                successUrl: urls!.successUrl,
                cancelUrl: urls!.cancelUrl,
              },
            ],
            startWorkflowOperation: startWorkflowOperation(),
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
            throw new HttpProblem(502, 'stripe_error', `Stripe refused to create the ${elements ? 'PaymentIntent' : 'Checkout Session'}.`);
          }
          throw problems.conflict('top_up_rejected', error.cause?.message ?? error.message);
        }
        throw error;
      }
    },

    async getTopUp({ params, principal }, res) {
      const topUp = await findTopUp(db, principal.tenantId, params.id);
      if (!topUp || (principal.kind === 'jwt' && principal.role !== 'admin' && topUp.accountId !== principal.userId)) {
        throw problems.notFound('top-up');
      }
      res.json(topUpJson(topUp));
    },

    async getBalance({ query, principal }, res) {
      const account = resolveAccountId(principal, query.account_id);
      res.json({ account_id: account, balances: await listBalances(db, principal.tenantId, account) });
    },

    async listLedger({ query, principal }, res) {
      const account = resolveAccountId(principal, query.account_id);
      const entries = await listLedgerEntries(db, { tenantId: principal.tenantId, accountId: account, limit: query.limit + 1, before: query.cursor });
      const page = entries.slice(0, query.limit);
      res.json({ data: page.map(ledgerEntryJson), next_cursor: entries.length > query.limit ? page[page.length - 1]!.id : null });
    },

    async spend({ body, principal, raw }, res) {
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
      res.status(created ? 201 : 200).json({ entry: ledgerEntryJson(entry), replayed: !created });
    },

    async grant({ body, principal, raw }, res) {
      const { entry, created } = await append({
        tenantId: principal.tenantId,
        accountId: body.account_id,
        currency: body.currency,
        kind: 'grant',
        amount: body.amount,
        sourceKey: sourceKeyFor('grant', principal, raw.header('idempotency-key')),
        description: body.reason,
      });
      res.status(created ? 201 : 200).json({ entry: ledgerEntryJson(entry), replayed: !created });
    },
  };
}
