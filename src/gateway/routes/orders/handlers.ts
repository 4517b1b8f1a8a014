import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { OrderRecord } from '../../../domain/order/contracts.js';
import { findOrder, findOrdersByPaymentIntent } from '../../../db/orders/order.js';
import { retryScheduleFromConfig } from '../../../temporal/retry.js';
import { orderWorkflowId } from '../../../temporal/workflow-ids.js';
import { confirmPaymentUpdate, createPaymentIntentUpdate, refundUpdate, ORDER_WORKFLOW_TYPE, type OrderWorkflow } from '../../../../workflows/order/messages.js';
import { isEndUser, type Principal } from '../../auth.js';
import { HttpProblem, problems } from '../../problem.js';
import type { Handlers, RouteDeps } from '../../route.js';
import { digest } from '../../schemas.js';
import { itemExcessPayments } from '../excess-payments/index.js';
import { amountErrors, orderUpdateProblem } from './errors.js';
import { orderJson, orderNamespace, refundJson, shownOrderId } from './mappers.js';
import type { contracts } from './schemas.js';

/** The id a caller chooses. */
const CLIENT_ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An end user's order is stored under their namespace (see orderNamespace); back office may address it so. */
const USER_ORDER_ID = /^u\.[0-9a-f]{16}\.[A-Za-z0-9_-]{1,64}$/;

export function orderHandlers({ config, db, temporal }: RouteDeps): Handlers<typeof contracts> {
  const retry = retryScheduleFromConfig(config);
  const deadline = () => Date.now() + config.TEMPORAL_RPC_TIMEOUT_MS * 4;

  /** Update-with-start: a closed order workflow is reopened (it reloads its state from PostgreSQL). */
  function withStart(principal: Principal, id: string, origin: 'api' | 'webhook') {
    return new WithStartWorkflowOperation<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
      workflowId: orderWorkflowId(principal.tenantId, id),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId: principal.tenantId, orderId: id, origin, retry }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  }

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

  return {
    async getPaymentsConfig(_req, res) {
      if (!config.STRIPE_PUBLISHABLE_KEY) {
        throw new HttpProblem(503, 'payments_not_configured', 'STRIPE_PUBLISHABLE_KEY is not configured on this server.');
      }
      res.json({ publishable_key: config.STRIPE_PUBLISHABLE_KEY });
    },

    async createPaymentIntent({ params, body, principal }, res) {
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
        orderUpdateProblem(error);
      }
    },

    async confirmPayment({ params, principal }, res) {
      const { id } = await addressedOrder(principal, params.order_id);
      try {
        await temporal.withDeadline(deadline(), () =>
          temporal.workflow.executeUpdateWithStart(confirmPaymentUpdate, {
            args: [],
            startWorkflowOperation: withStart(principal, id, 'webhook'),
          }),
        );
      } catch (error) {
        orderUpdateProblem(error);
      }
      res.json(orderJson((await findOrder(db, principal.tenantId, id))!, principal));
    },

    async getOrder({ params, principal }, res) {
      const order = await addressedOrder(principal, params.order_id);
      res.json({ ...orderJson(order, principal), excess_payments: await itemExcessPayments(db, principal.tenantId, { kind: 'order', ref: order.id }) });
    },

    async refundPayment({ params, body, principal, raw }, res) {
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
        res.status(refund.replayed ? 200 : 201).json(refundJson(order, refund));
      } catch (error) {
        orderUpdateProblem(error);
      }
    },
  };
}
