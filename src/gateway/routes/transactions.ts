import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { Router } from 'express';
import Stripe from 'stripe';
import { listExcessPayments } from '../../db/excess-payments.js';
import { findCampaign } from '../../db/recoveries.js';
import { findCheckoutSession, findTransaction, listCheckoutSessionIds, listTransactionPayments } from '../../db/transactions.js';
import { campaignIdFor } from '../../recoveries/campaign-id.js';
import { stripeAccountFor } from '../../stripe/connected-account.js';
import { updateFailureType } from '../../temporal/errors.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { transactionWorkflowId } from '../../temporal/workflow-ids.js';
import {
  ensurePaymentLinkUpdate,
  openCheckoutSessionUpdate,
  TRANSACTION_MISMATCH,
  TRANSACTION_PAID,
  transactionWorkflow,
  type TransactionPaymentRequest,
} from '../../../workflows/transaction.js';
import { requireBackOffice } from '../auth.js';
import { itemExcessPayments, itemExcessPaymentsJson } from './excess-payments.js';
import { HttpProblem, problems } from '../problem.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { z } from '../zod.js';
import { currency, metadataMap, minorUnits } from '../inputs.js';
import { STRIPE_TRANSIENT_ERROR } from '../upstream.js';

/**
 * The seed system's transaction API: one Checkout Session at a time and one Payment Link per transaction, in the
 * tenant's Stripe account, idempotent by transaction_ref. Every payment settles the transaction through its
 * workflow; a second one is refunded.
 *
 *   POST /v1/checkout-sessions                      openCheckoutSession
 *   POST /v1/payment-links                          ensurePaymentLink
 *   GET  /v1/checkout-sessions/{session_id}/status  sessionStatus
 *   GET  /v1/transactions/{transaction_ref}         transactionDetail
 */

const TRANSACTION_REF = /^[A-Za-z0-9._:-]{1,200}$/;
const transactionRef = z.string().regex(TRANSACTION_REF, 'letters, digits and . _ : - only (1-200)');
const amount = minorUnits(99_999_999);
const metadata = metadataMap;

const checkoutBody = z
  .object({
    transaction_ref: transactionRef,
    amount,
    currency,
    customer_email: z.email().max(320).optional(),
    customer_phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +4915112345678').optional(),
    metadata: metadata.optional(),
  })
  .strict()
  .openapi('CreateTransactionCheckoutSession');
const linkBody = z.object({ transaction_ref: transactionRef, amount, currency }).strict().openapi('CreateTransactionPaymentLink');

const sessionJson = z
  .object({ session_id: z.string(), payment_intent_id: z.string().nullable(), checkout_url: z.string().nullable(), expires_at: z.string() })
  .openapi('TransactionCheckoutSession');
const linkJson = z
  .object({ payment_link_id: z.string(), url: z.string(), product_id: z.string().nullable(), price_id: z.string().nullable() })
  .openapi('TransactionPaymentLink');
const sessionStatusJson = z
  .object({
    session_id: z.string(),
    status: z.string().nullable(),
    payment_status: z.string().nullable(),
    amount_total: z.number().int().nullable(),
    currency: z.string().nullable(),
    customer_email: z.string().nullable(),
    payment_intent_id: z.string().nullable(),
  })
  .openapi('CheckoutSessionStatus');
const transactionJson = z
  .object({
    transaction_ref: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(['open', 'paid', 'refunded']),
    customer_email: z.string().nullable(),
    customer_phone: z.string().nullable(),
    payment_link_url: z.string().nullable(),
    checkout_session_ids: z.array(z.string()),
    payments: z.array(
      z.object({
        payment_intent_id: z.string(),
        checkout_session_id: z.string().nullable(),
        status: z.enum(['succeeded', 'failed']),
        amount: z.number().int(),
        currency: z.string(),
        settled_transaction: z.boolean(),
        refund: z.object({ refund_id: z.string().nullable(), refund_status: z.string() }).nullable(),
      }),
    ),
    excess_payments: itemExcessPaymentsJson,
    recovery_campaign_id: z.string().nullable(),
  })
  .openapi('Transaction');

const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

export function transactionRoutes(registry: OpenAPIRegistry, { config, db, temporal, stripe, authenticate, writeLimit }: RouteDeps): Router {
  const router = Router();
  const retry = retryScheduleFromConfig(config);
  const tags = ['Transactions'];
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  function startOperation(tenantId: string, ref: string) {
    return new WithStartWorkflowOperation(transactionWorkflow, {
      workflowId: transactionWorkflowId(tenantId, ref),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId, ref, retry }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

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

  const writeResponses = (created: ReturnType<typeof jsonResponse>) => ({
    201: created,
    400: problemResponse('Invalid input'),
    403: problemResponse('Needs an API key or an admin user'),
    409: problemResponse('transaction_mismatch (the reference exists with another amount or currency) or transaction_paid'),
    502: problemResponse('Stripe refused the request'),
    503: problemResponse('Temporal unavailable; retry'),
  });

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/checkout-sessions',
      summary: "A transaction's Checkout Session (24 h): the open one, or a new one once it expired",
      tags,
      body: checkoutBody,
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: writeResponses(jsonResponse('The open Checkout Session of the transaction', sessionJson)),
    },
    async ({ body, principal }, res) => {
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
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/payment-links',
      summary: "A transaction's Payment Link (one completed payment), created once",
      tags,
      body: linkBody,
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: writeResponses(jsonResponse('The Payment Link of the transaction', linkJson)),
    },
    async ({ body, principal }, res) => {
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
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/checkout-sessions/{session_id}/status',
      summary: 'Status of a Checkout Session this tenant created, as Stripe reports it',
      tags,
      params: z.object({ session_id: z.string().regex(/^cs_[A-Za-z0-9_]{1,200}$/, 'not a Checkout Session id') }),
      middleware: [authenticate, requireBackOffice()],
      responses: {
        200: jsonResponse('The session', sessionStatusJson),
        404: problemResponse('Not a session of this tenant'),
        503: problemResponse('Stripe unavailable; retry'),
      },
    },
    async ({ params, principal }, res) => {
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
      res.json({
        session_id: known.sessionId,
        status: session.status ?? null,
        payment_status: session.payment_status ?? null,
        amount_total: session.amount_total ?? null,
        currency: session.currency ?? null,
        customer_email: session.customer_details?.email ?? session.customer_email ?? null,
        payment_intent_id: idOf(session.payment_intent) ?? known.paymentIntentId,
      });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/transactions/{transaction_ref}',
      summary: 'A transaction: status, its links and sessions, every payment and any refunded excess',
      tags,
      params: z.object({ transaction_ref: transactionRef }),
      middleware: [authenticate, requireBackOffice()],
      responses: { 200: jsonResponse('The transaction', transactionJson), 404: problemResponse('Unknown transaction') },
    },
    async ({ params, principal }, res) => {
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
        payments: payments.map((payment) => {
          const refund = excessByIntent.get(payment.paymentIntentId);
          return {
            payment_intent_id: payment.paymentIntentId,
            checkout_session_id: payment.checkoutSessionId,
            status: payment.status,
            amount: payment.amount,
            currency: payment.currency,
            settled_transaction: payment.paymentIntentId === txn.paidPaymentIntentId,
            refund: refund ? { refund_id: refund.refundId, refund_status: refund.refundStatus } : null,
          };
        }),
        excess_payments: await itemExcessPayments(db, principal.tenantId, item),
        recovery_campaign_id: campaign?.id ?? null,
      });
    },
  );

  return router;
}
