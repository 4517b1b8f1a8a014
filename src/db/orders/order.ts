import { sql } from 'kysely';
import type { OrderAttemptRecord, OrderRecord } from '../../domain/order/contracts.js';
import { toSafeInteger } from '../../domain/money.js';
import type { DbExecutor } from '../schema.js';
import { checkoutSessionOfPending } from './attempts.js';
import { toRefund } from './refunds.js';

export async function upsertOrder(
  db: DbExecutor,
  order: { tenantId: string; id: string; customerId?: string; receiptEmail?: string; description?: string; amount: number; currency: string },
): Promise<void> {
  await db
    .insertInto('orders')
    .values({
      tenant_id: order.tenantId,
      id: order.id,
      customer_id: order.customerId ?? null,
      receipt_email: order.receiptEmail ?? null,
      description: order.description ?? null,
      amount: order.amount,
      currency: order.currency,
      status: 'pending',
      // Fixed at creation: a later Connect onboarding never moves an order's PaymentIntents to another account.
      stripe_account_id: sql`(select stripe_account_id from tenants where id = ${order.tenantId})`,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .execute();
}

/**
 * The Stripe account of an order's objects, by the order or by one of its PaymentIntents: the tenant's connected
 * account for orders created since migration 0013, else (and for unknown orders) the platform account.
 */
export async function orderStripeAccount(db: DbExecutor, tenantId: string, ref: { orderId: string } | { paymentIntentId: string }): Promise<string | null> {
  const row =
    'orderId' in ref
      ? await db.selectFrom('orders').select('stripe_account_id').where('tenant_id', '=', tenantId).where('id', '=', ref.orderId).executeTakeFirst()
      : await db
          .selectFrom('orders')
          .innerJoin('order_payments', (join) => join.onRef('order_payments.tenant_id', '=', 'orders.tenant_id').onRef('order_payments.order_id', '=', 'orders.id'))
          .select('orders.stripe_account_id')
          .where('orders.tenant_id', '=', tenantId)
          .where('order_payments.payment_intent_id', '=', ref.paymentIntentId)
          .executeTakeFirst();
  return row?.stripe_account_id ?? null;
}

export async function findOrder(db: DbExecutor, tenantId: string, id: string): Promise<OrderRecord | undefined> {
  const row = await db.selectFrom('orders').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const attempts = await db
    .selectFrom('order_payments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('order_id', '=', id)
    .orderBy('attempt')
    .execute();
  const refunds = await db
    .selectFrom('order_refunds')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('order_id', '=', id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return {
    tenantId: row.tenant_id,
    id: row.id,
    customerId: row.customer_id,
    receiptEmail: row.receipt_email,
    description: row.description,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    status: row.status,
    currentAttempt: row.current_attempt,
    paymentIntentId: row.payment_intent_id,
    capturedAmount: toSafeInteger(row.captured_amount),
    refundedTotal: toSafeInteger(row.refunded_total),
    paidAt: row.paid_at ? row.paid_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    attempts: attempts.map(
      (attempt): OrderAttemptRecord => ({
        attempt: attempt.attempt,
        paymentIntentId: attempt.payment_intent_id,
        ...(checkoutSessionOfPending(attempt.payment_intent_id) ? { checkoutSessionId: checkoutSessionOfPending(attempt.payment_intent_id) } : {}),
        status: attempt.status,
        amount: toSafeInteger(attempt.amount),
        currency: attempt.currency,
        amountReceived: attempt.amount_received === null ? null : toSafeInteger(attempt.amount_received),
        failureMessage: attempt.failure_message,
      }),
    ),
    refunds: refunds.map(toRefund),
  };
}

/**
 * Orders whose attempts used this PaymentIntent, optionally within one tenant. Used to route charge and refund
 * events that carry no order metadata; the caller treats more than one match as ambiguous.
 */
export async function findOrdersByPaymentIntent(
  db: DbExecutor,
  paymentIntentId: string,
  tenantId?: string,
): Promise<Array<{ tenantId: string; orderId: string }>> {
  let query = db
    .selectFrom('order_payments')
    .select(['tenant_id', 'order_id'])
    .distinct()
    .where('payment_intent_id', '=', paymentIntentId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const rows = await query.limit(2).execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, orderId: row.order_id }));
}
