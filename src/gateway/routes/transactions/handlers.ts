import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import Stripe from 'stripe';
import { listExcessPayments } from '../../../db/excess-payments.js';
import { findCampaign } from '../../../db/recovery-campaigns.js';
import { findCheckoutSession, findTransaction, listCheckoutSessionIds, listTransactionPayments } from '../../../db/transactions.js';
import { campaignIdFor } from '../../../recovery/campaign-id.js';
import { stripeAccountFor } from '../../../stripe/connected-account.js';
import { updateFailureType } from '../../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../../temporal/retry.js';
import { transactionWorkflowId } from '../../../temporal/workflow-ids.js';
import { ensurePaymentLinkUpdate, openCheckoutSessionUpdate, TRANSACTION_MISMATCH, TRANSACTION_PAID, type TransactionPaymentRequest, TRANSACTION_WORKFLOW_TYPE, type TransactionWorkflow } from '../../../../workflows/transaction/messages.js';
import { HttpProblem, problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { STRIPE_TRANSIENT_ERROR } from '../../../domain/retry/error-types.js';
import { itemExcessPayments } from '../excess-payments/index.js';
import { sessionStatusJson, transactionPaymentJson } from './mappers.js';
import type { contracts } from './schemas.js';

/** The workflow's refusals as problems; anything else (Temporal down) goes to the problem handler. */
function refusal(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const type = updateFailureType(error);
    if (type === TRANSACTION_MISMATCH) throw problems.conflict('transaction_mismatch', error.cause?.message ?? 'the reference is used with another amount');
    if (type === TRANSACTION_PAID) throw problems.conflict('transaction_paid', error.cause?.message ?? 'the transaction is already paid');
    if (type === STRIPE_TRANSIENT_ERROR) throw error; // the problem handler: 503 stripe_unavailable
    if (type === 'StripeClientError') throw new HttpProblem(502, 'stripe_error', 'Stripe refused the request.');
  }
  throw error;
}

export function transactionHandlers({ config, db, temporal, stripe }: RouteDeps): Handlers<typeof contracts> {
  const retry = retryScheduleFromConfig(config);
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  function startOperation(tenantId: string, ref: string) {
    return new WithStartWorkflowOperation<TransactionWorkflow>(TRANSACTION_WORKFLOW_TYPE, {
      workflowId: transactionWorkflowId(tenantId, ref),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId, ref, retry }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  return {
    async openCheckoutSession({ body, principal }, res) {
      const request: TransactionPaymentRequest = {
        amount: body.amount,
        currency: body.currency,
        customerEmail: body.customer_email ?? null,
        customerPhone: body.customer_phone ?? null,
        metadata: body.metadata ?? {},
      };
      const session = await temporal
        .withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(openCheckoutSessionUpdate, {
            args: [request],
            startWorkflowOperation: startOperation(principal.tenantId, body.transaction_ref),
          }),
        )
        .catch(refusal);
      res.status(201).json({
        session_id: session.sessionId,
        payment_intent_id: session.paymentIntentId,
        checkout_url: session.url,
        expires_at: new Date(session.expiresAtMs).toISOString(),
      });
    },

    async ensurePaymentLink({ body, principal }, res) {
      const txn = await temporal
        .withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(ensurePaymentLinkUpdate, {
            args: [{ amount: body.amount, currency: body.currency }],
            startWorkflowOperation: startOperation(principal.tenantId, body.transaction_ref),
          }),
        )
        .catch(refusal);
      const link = txn.paymentLink!;
      res.status(201).json({ payment_link_id: link.id, url: link.url, product_id: link.productId, price_id: link.priceId });
    },

    /** A read: the gateway asks Stripe itself. */
    async sessionStatus({ params, principal }, res) {
      const known = await findCheckoutSession(db, principal.tenantId, params.session_id);
      if (!known) throw problems.notFound('checkout session');
      let session: Stripe.Checkout.Session;
      try {
        session = await stripe.checkout.sessions.retrieve(params.session_id, {}, await stripeAccountFor(db, principal.tenantId));
      } catch (error) {
        if (error instanceof Stripe.errors.StripeConnectionError || (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500)) {
          throw problems.unavailable('stripe_unavailable', 'Stripe is unreachable; retry shortly.');
        }
        throw error;
      }
      res.json(sessionStatusJson(known, session));
    },

    async transactionDetail({ params, principal }, res) {
      const txn = await findTransaction(db, principal.tenantId, params.transaction_ref);
      if (!txn) throw problems.notFound('transaction');
      const item = { kind: 'transaction' as const, ref: txn.ref };
      const [sessionIds, payments, excess, campaign] = await Promise.all([
        listCheckoutSessionIds(db, principal.tenantId, txn.ref),
        listTransactionPayments(db, principal.tenantId, txn.ref),
        listExcessPayments(db, principal.tenantId, { item }),
        findCampaign(db, principal.tenantId, campaignIdFor(item)),
      ]);
      const excessByIntent = new Map(excess.map((entry) => [entry.paymentIntentId, entry]));
      res.json({
        transaction_ref: txn.ref,
        amount: txn.amount,
        currency: txn.currency,
        status: txn.status,
        customer_email: txn.customerEmail,
        customer_phone: txn.customerPhone,
        payment_link_url: txn.paymentLink?.url ?? null,
        checkout_session_ids: sessionIds,
        payments: payments.map((payment) => transactionPaymentJson(txn, payment, excessByIntent.get(payment.paymentIntentId))),
        excess_payments: await itemExcessPayments(db, principal.tenantId, item),
        recovery_campaign_id: campaign?.id ?? null,
      });
    },
  };
}
