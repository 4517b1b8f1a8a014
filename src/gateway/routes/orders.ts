import { createHash, randomUUID } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { Router } from 'express';
import type { OrderRecord } from '../../../activities/order-types.js';
import { findOrder, findOrdersByPaymentIntent } from '../../db/orders.js';
import { currencyExponent, formatMinorUnits, isChargeableAmount, isSupportedCurrency, minimumChargeAmount } from '../../money.js';
import { retryScheduleFromConfig } from '../../temporal/retry.js';
import { orderWorkflowId } from '../../temporal/workflow-ids.js';
import { confirmPaymentUpdate, createPaymentIntentUpdate, orderWorkflow, refundUpdate } from '../../../workflows/order.js';
import { HttpProblem, problems, type FieldError } from '../problem.js';
import { isEndUser, requireBackOffice, type Principal } from '../auth.js';
import { addRoute, jsonResponse, problemResponse, type RouteDeps } from '../route.js';
import { itemExcessPayments, itemExcessPaymentsJson } from './excess-payments.js';
import { STRIPE_TRANSIENT_ERROR } from '../upstream.js';
import { z } from '../zod.js';
import { currency, idempotencyHeaders as idempotencyHeadersFor, minorUnits as minorUnitsUpTo, text } from '../inputs.js';

/** Stripe's maximum charge is eight digits in minor units for most currencies. */
const STRIPE_MAXIMUM_AMOUNT = 99_999_999;

const minorUnits = minorUnitsUpTo(STRIPE_MAXIMUM_AMOUNT);
/** The id a caller chooses. */
const CLIENT_ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An end user's order is stored under their namespace (see orderNamespace); back office may address it so. */
const USER_ORDER_ID = /^u\.[0-9a-f]{16}\.[A-Za-z0-9_-]{1,64}$/;
const orderId = z
  .string()
  .regex(/^(u\.[0-9a-f]{16}\.)?[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
  .openapi({ description: "The order id. End users use their own ids; back office also addresses end users' orders by internal id (u.<16 hex>.<id>)." });

/**
 * Where an end user's order ids live: `u.<first 16 hex of sha256(tenant NUL user)>.` + the id they chose. Order ids
 * are unique per owner, so no user can take (or reach) another's order by choosing the same id; the internal id is
 * the workflow's (order:<tenant>:<internal id>) and Stripe's metadata order_id, so webhooks route unchanged.
 */
export function orderNamespace(tenantId: string, userId: string): string {
  return `u.${createHash('sha256').update(`${tenantId}\u0000${userId}`).digest('hex').slice(0, 16)}.`;
}

/** The id a caller is shown: an end user their own id, back office the internal one. */
function shownOrderId(principal: Principal, internalId: string): string {
  if (!isEndUser(principal)) return internalId;
  const namespace = orderNamespace(principal.tenantId, principal.userId);
  return internalId.startsWith(namespace) ? internalId.slice(namespace.length) : internalId;
}

const idempotencyHeaders = idempotencyHeadersFor('Replays with the same key return the original result; another request with it answers 422.');

const paymentIntentBody = z
  .object({
    amount: minorUnits.openapi({ description: 'Minor units of the currency (cents; yen for JPY; fils for KWD).' }),
    currency,
    receipt_email: z.email().max(320).optional(),
    description: text({ max: 1000, trim: true }).optional(),
  })
  .strict()
  .openapi('CreateOrderPaymentIntent');
const paymentIntentResponse = z
  .object({ id: z.string(), client_secret: z.string(), order_id: z.string(), attempt: z.number().int(), amount: z.number().int(), currency: z.string() })
  .openapi('OrderPaymentIntent');
const refundBody = z
  .object({
    amount: minorUnits.optional().openapi({ description: 'Omit to refund everything that remains.' }),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'other']),
    note: text({ max: 500, trim: true }).optional(),
  })
  .strict()
  .openapi('CreateRefund');
const refundJson = z
  .object({
    id: z.string(),
    order_id: z.string(),
    payment_id: z.string(),
    amount: z.number().int(),
    amount_display: z.string(),
    currency: z.string(),
    reason: z.string(),
    note: z.string().nullable(),
    status: z.enum(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']),
    stripe_refund_id: z.string().nullable(),
    failure_reason: z.string().nullable(),
  })
  .openapi('Refund');
const orderJson = z
  .object({
    id: z.string(),
    status: z.string(),
    amount: z.number().int(),
    amount_display: z.string(),
    currency: z.string(),
    currency_exponent: z.number().int(),
    captured_amount: z.number().int(),
    refunded_amount: z.number().int(),
    refundable_amount: z.number().int(),
    payment_id: z.string().nullable(),
    paid_at: z.string().nullable(),
    attempts: z.array(z.object({ attempt: z.number().int(), payment_intent_id: z.string(), status: z.string(), amount_received: z.number().int().nullable(), failure_message: z.string().nullable() })),
    refunds: z.array(refundJson),
    owner_id: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "Back office only: the end user (JWT subject) the order belongs to; null for the tenant's own orders." }),
  })
  .openapi('Order');
const orderDetailJson = orderJson.extend({ excess_payments: itemExcessPaymentsJson }).openapi('OrderDetail');

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function amountErrors(amount: number, code: string, field = 'body.amount'): FieldError[] {
  if (!isSupportedCurrency(code)) return [{ field: 'body.currency', message: `${code} is not a supported currency` }];
  const errors: FieldError[] = [];
  const minimum = minimumChargeAmount(code);
  if (amount < minimum) errors.push({ field, message: `must be at least ${minimum} (${formatMinorUnits(minimum, code)} ${code.toUpperCase()})` });
  if (!isChargeableAmount(amount, code)) errors.push({ field, message: `${code.toUpperCase()} amounts must be multiples of 10 minor units` });
  return errors;
}

type StoredRefund = OrderRecord['refunds'][number];

function refundResponse(orderIdValue: string, refund: Omit<StoredRefund, 'createdAt'>) {
  return {
    id: refund.id,
    order_id: orderIdValue,
    payment_id: refund.paymentIntentId,
    amount: refund.amount,
    amount_display: formatMinorUnits(refund.amount, refund.currency),
    currency: refund.currency,
    reason: refund.reason,
    note: refund.note ?? null,
    status: refund.status,
    stripe_refund_id: refund.stripeRefundId ?? null,
    failure_reason: refund.failureReason ?? null,
  };
}

/** The order as `principal` sees it: end users by their own id, back office by the internal id with its owner. */
function orderResponse(order: OrderRecord, principal: Principal) {
  const shownId = shownOrderId(principal, order.id);
  const active = order.refunds.filter((r) => r.status !== 'failed' && r.status !== 'canceled').reduce((sum, r) => sum + r.amount, 0);
  const paid = ['paid', 'partially_refunded', 'refunded'].includes(order.status);
  return {
    id: shownId,
    status: order.status,
    amount: order.amount,
    amount_display: formatMinorUnits(order.amount, order.currency),
    currency: order.currency,
    currency_exponent: currencyExponent(order.currency),
    captured_amount: order.capturedAmount,
    refunded_amount: order.refundedTotal,
    refundable_amount: paid ? Math.max(0, order.capturedAmount - active) : 0,
    payment_id: order.paymentIntentId,
    paid_at: order.paidAt,
    attempts: order.attempts.map((a) => ({
      attempt: a.attempt,
      payment_intent_id: a.paymentIntentId,
      status: a.status,
      amount_received: a.amountReceived,
      failure_message: a.failureMessage,
    })),
    refunds: order.refunds.map((refund) => refundResponse(shownId, refund)),
    ...(isEndUser(principal) ? {} : { owner_id: order.customerId }),
  };
}

const CONFLICT_CODES = new Set(['order_already_paid', 'order_amount_mismatch', 'refund_exceeds_remaining', 'payment_not_refundable', 'no_payment_intent']);

/** Workflow rejections (validator or handler ApplicationFailure types) → problem details. */
function mapUpdateError(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as { type?: string; message?: string; details?: unknown[] } | undefined;
    const type = cause?.type ?? 'update_rejected';
    const detail = cause?.message ?? error.message;
    const extra = (cause?.details?.[0] as Record<string, unknown> | undefined) ?? {};
    if (CONFLICT_CODES.has(type)) throw problems.conflict(type, detail, extra);
    if (type === STRIPE_TRANSIENT_ERROR) throw error; // the problem handler: 503 stripe_unavailable
    if (type === 'refund_failed' || type === 'stripe_error' || type === 'payment_intent_failed') throw new HttpProblem(502, type, detail, extra);
    if (type === 'invalid_amount' || type === 'invalid_request') throw new HttpProblem(400, type, detail);
    throw problems.conflict(type, detail, extra);
  }
  // Deadlines (upstream_timeout vs temporal_unavailable) and Temporal outages: the problem handler.
  throw error;
}

export function orderRoutes(registry: OpenAPIRegistry, { config, db, temporal, authenticate, writeLimit }: RouteDeps): Router {
  const router = Router();
  const retry = retryScheduleFromConfig(config);
  const tags = ['Orders'];

  /** Update-with-start: a closed order workflow is reopened (it reloads its state from PostgreSQL). */
  function withStart(principal: Principal, id: string, origin: 'api' | 'webhook') {
    return new WithStartWorkflowOperation(orderWorkflow, {
      workflowId: orderWorkflowId(principal.tenantId, id),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId: principal.tenantId, orderId: id, origin, retry }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  }

  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  /**
   * The order an end user means by `id`: the one in their namespace, else one they created before order ids were
   * namespaced (customer_id = them). undefined (→ 404): not an id they can address, or someone else's order.
   */
  async function findOwnOrder(principal: Principal & { userId: string }, id: string): Promise<{ id: string; order?: OrderRecord } | undefined> {
    if (!CLIENT_ORDER_ID.test(id)) return undefined;
    const own = `${orderNamespace(principal.tenantId, principal.userId)}${id}`;
    const order = await findOrder(db, principal.tenantId, own);
    if (order) return order.customerId === principal.userId ? { id: own, order } : undefined;
    const legacy = await findOrder(db, principal.tenantId, id);
    return legacy?.customerId === principal.userId ? { id, order: legacy } : { id: own };
  }

  /** The existing order a request addresses (404 otherwise): end users only their own, back office the tenant's. */
  async function addressedOrder(principal: Principal, id: string): Promise<OrderRecord> {
    const order = isEndUser(principal) ? (await findOwnOrder(principal, id))?.order : await findOrder(db, principal.tenantId, id);
    if (!order) throw problems.notFound('order');
    return order;
  }

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/payments/config',
      summary: 'Stripe publishable key for Stripe.js / Elements',
      tags,
      middleware: [authenticate],
      responses: {
        200: jsonResponse('Publishable key', z.object({ publishable_key: z.string() }).openapi('PaymentsConfig')),
        503: problemResponse('STRIPE_PUBLISHABLE_KEY is not configured'),
      },
    },
    async (_req, res) => {
      if (!config.STRIPE_PUBLISHABLE_KEY) {
        throw new HttpProblem(503, 'payments_not_configured', 'STRIPE_PUBLISHABLE_KEY is not configured on this server.');
      }
      res.json({ publishable_key: config.STRIPE_PUBLISHABLE_KEY });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/orders/{order_id}/payment-intents',
      summary: 'Create (or return the open) PaymentIntent for an order',
      tags,
      params: z.object({ order_id: orderId }),
      body: paymentIntentBody,
      middleware: [authenticate, writeLimit],
      responses: {
        201: jsonResponse('The PaymentIntent of the open attempt', paymentIntentResponse),
        400: problemResponse('Invalid amount or currency'),
        404: problemResponse("Another user's order, or (back office) an end user's order that does not exist"),
        409: problemResponse('Order already paid, or created with another amount'),
        502: problemResponse('Stripe refused'),
      },
    },
    async ({ params, body, principal }, res) => {
      const errors = amountErrors(body.amount, body.currency);
      if (errors.length > 0) throw problems.validation(errors);
      let target = params.order_id;
      if (isEndUser(principal)) {
        const own = await findOwnOrder(principal, params.order_id);
        if (!own) throw problems.notFound('order');
        target = own.id;
      } else if (USER_ORDER_ID.test(target) && !(await findOrder(db, principal.tenantId, target))) {
        // Back office reaches end users' existing orders by internal id, but never creates one in their namespace.
        throw problems.notFound('order');
      }
      try {
        const intent = await temporal.withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(createPaymentIntentUpdate, {
            args: [
              {
                amount: body.amount,
                currency: body.currency,
                receiptEmail: body.receipt_email,
                description: body.description,
                // Who the order belongs to; never the email (it would become a clear-text search attribute).
                ...(principal.kind === 'jwt' ? { customerId: principal.userId } : {}),
              },
            ],
            startWorkflowOperation: withStart(principal, target, 'api'),
          }),
        );
        res.status(201).json({
          id: intent.id,
          client_secret: intent.clientSecret,
          order_id: shownOrderId(principal, target),
          attempt: intent.attempt,
          amount: intent.amount,
          currency: intent.currency,
        });
      } catch (error) {
        mapUpdateError(error);
      }
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/orders/{order_id}/confirm',
      summary: 'Re-check the PaymentIntent with Stripe and record the result',
      tags,
      params: z.object({ order_id: orderId }),
      middleware: [authenticate, writeLimit],
      responses: { 200: jsonResponse('The order', orderJson), 404: problemResponse('Unknown order'), 409: problemResponse('No PaymentIntent yet') },
    },
    async ({ params, principal }, res) => {
      const { id } = await addressedOrder(principal, params.order_id);
      try {
        await temporal.withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(confirmPaymentUpdate, {
            args: [],
            startWorkflowOperation: withStart(principal, id, 'webhook'),
          }),
        );
      } catch (error) {
        mapUpdateError(error);
      }
      res.json(orderResponse((await findOrder(db, principal.tenantId, id))!, principal));
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/orders/{order_id}',
      summary: 'An order with its payment attempts and refunds',
      tags,
      params: z.object({ order_id: orderId }),
      middleware: [authenticate],
      responses: { 200: jsonResponse('The order', orderDetailJson), 404: problemResponse('Unknown order') },
    },
    async ({ params, principal }, res) => {
      const order = await addressedOrder(principal, params.order_id);
      res.json({ ...orderResponse(order, principal), excess_payments: await itemExcessPayments(db, principal.tenantId, { kind: 'order', ref: order.id }) });
    },
  );

  addRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/payments/{id}/refunds',
      summary: 'Refund a payment (the PaymentIntent id that paid an order), fully or partially',
      tags,
      params: z.object({ id: z.string().regex(/^pi_[A-Za-z0-9_]{1,250}$/, 'not a PaymentIntent id') }),
      body: refundBody,
      headers: idempotencyHeaders,
      idempotency: { db },
      middleware: [authenticate, requireBackOffice(), writeLimit],
      responses: {
        201: jsonResponse('Refund created', refundJson),
        200: jsonResponse('Replay of an earlier request with the same Idempotency-Key', refundJson),
        404: problemResponse('Unknown payment'),
        409: problemResponse('refund_exceeds_remaining or payment_not_refundable'),
        502: problemResponse('refund_failed: Stripe refused the refund (nothing was reserved)'),
      },
    },
    async ({ params, body, principal, raw }, res) => {
      const matches = await findOrdersByPaymentIntent(db, params.id, principal.tenantId);
      if (matches.length === 0) throw problems.notFound('payment');
      if (matches.length > 1) throw problems.conflict('ambiguous_payment', 'This PaymentIntent id belongs to several orders.');
      const order = matches[0]!.orderId;
      const key = raw.header('idempotency-key');
      const requestKey = key ? `key:${digest(principal.tenantId, key)}` : `req:${randomUUID()}`;
      try {
        const refund = await temporal.withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(refundUpdate, {
            args: [{ requestKey, amount: body.amount, reason: body.reason, note: body.note, paymentIntentId: params.id }],
            startWorkflowOperation: withStart(principal, order, 'webhook'),
          }),
        );
        res.status(refund.replayed ? 200 : 201).json(refundResponse(order, refund));
      } catch (error) {
        mapUpdateError(error);
      }
    },
  );

  return router;
}
