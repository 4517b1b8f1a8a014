import type { Transaction } from 'kysely';
import type { OrderStatus } from '../../domain/order/contracts.js';
import { inTransaction } from '../atomic.js';
import type { Database, DbExecutor } from '../schema.js';
import { PAID_STATUSES } from './statuses.js';

type NewAttempt = { tenantId: string; orderId: string; attempt: number; paymentIntentId: string; status: string; amount: number; currency: string };

/** The attempt row (idempotent by tenant, order, attempt), made the order's current attempt unless it is paid. */
async function addAttempt(trx: Transaction<Database>, attempt: NewAttempt): Promise<void> {
  await trx
    .insertInto('order_payments')
    .values({
      tenant_id: attempt.tenantId,
      order_id: attempt.orderId,
      attempt: attempt.attempt,
      payment_intent_id: attempt.paymentIntentId,
      status: attempt.status,
      amount: attempt.amount,
      currency: attempt.currency,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'order_id', 'attempt']).doNothing())
    .execute();
  await trx
    .updateTable('orders')
    .set({ current_attempt: attempt.attempt, status: 'pending', updated_at: new Date() })
    .where('tenant_id', '=', attempt.tenantId)
    .where('id', '=', attempt.orderId)
    .where('status', 'not in', PAID_STATUSES)
    .where('current_attempt', '<=', attempt.attempt)
    .execute();
}

export async function insertAttempt(db: DbExecutor, attempt: NewAttempt): Promise<void> {
  await inTransaction(db, (trx) => addAttempt(trx, attempt));
}

/**
 * A Checkout Session attempt has no PaymentIntent until the customer pays (Stripe creates it then): the attempt row
 * holds `pending:<checkout session id>` in payment_intent_id (NOT NULL) until a payment_intent event names it.
 * Never a Stripe id, so lookups by PaymentIntent never match it.
 */
const PENDING_PAYMENT_INTENT_PREFIX = 'pending:';
export const pendingPaymentIntentId = (checkoutSessionId: string): string => `${PENDING_PAYMENT_INTENT_PREFIX}${checkoutSessionId}`;
export const checkoutSessionOfPending = (paymentIntentId: string): string | undefined =>
  paymentIntentId.startsWith(PENDING_PAYMENT_INTENT_PREFIX) ? paymentIntentId.slice(PENDING_PAYMENT_INTENT_PREFIX.length) : undefined;

/**
 * Records a Checkout Session attempt (its PaymentIntent pending) and makes it the order's current attempt; the
 * attempt it replaces, if any, is closed in the same transaction. Idempotent by (tenant, order, attempt).
 */
export async function insertCheckoutAttempt(
  db: DbExecutor,
  attempt: { tenantId: string; orderId: string; attempt: number; checkoutSessionId: string; amount: number; currency: string; replaces?: number },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    if (attempt.replaces !== undefined) {
      await trx
        .updateTable('order_payments')
        .set({ status: 'canceled', updated_at: new Date() })
        .where('tenant_id', '=', attempt.tenantId)
        .where('order_id', '=', attempt.orderId)
        .where('attempt', '=', attempt.replaces)
        .where('status', 'not in', ['succeeded', 'canceled'])
        .execute();
    }
    await addAttempt(trx, {
      tenantId: attempt.tenantId,
      orderId: attempt.orderId,
      attempt: attempt.attempt,
      paymentIntentId: pendingPaymentIntentId(attempt.checkoutSessionId),
      status: 'open',
      amount: attempt.amount,
      currency: attempt.currency,
    });
  });
}

/**
 * Names the PaymentIntent of a Checkout Session attempt (replacing its placeholder), so charge and refund events
 * that carry only the PaymentIntent find the order. A bound attempt keeps its PaymentIntent: true when it is `paymentIntentId`.
 */
export async function bindAttemptPaymentIntent(
  db: DbExecutor,
  bind: { tenantId: string; orderId: string; attempt: number; paymentIntentId: string },
): Promise<boolean> {
  await db
    .updateTable('order_payments')
    .set({ payment_intent_id: bind.paymentIntentId, updated_at: new Date() })
    .where('tenant_id', '=', bind.tenantId)
    .where('order_id', '=', bind.orderId)
    .where('attempt', '=', bind.attempt)
    .where('payment_intent_id', 'like', `${PENDING_PAYMENT_INTENT_PREFIX}%`)
    .execute();
  const row = await db
    .selectFrom('order_payments')
    .select('payment_intent_id')
    .where('tenant_id', '=', bind.tenantId)
    .where('order_id', '=', bind.orderId)
    .where('attempt', '=', bind.attempt)
    .executeTakeFirst();
  return row?.payment_intent_id === bind.paymentIntentId;
}

export interface AttemptResult {
  tenantId: string;
  orderId: string;
  attempt: number;
  status: string;
  amountReceived?: number;
  failureMessage?: string;
  orderStatus: OrderStatus;
  paid?: { paymentIntentId: string; capturedAmount: number };
}

/**
 * Records one attempt's PaymentIntent status and moves the order. A paid order never goes back to an unpaid
 * status; the captured amount is Stripe's amount_received.
 */
export async function recordAttemptResult(db: DbExecutor, result: AttemptResult): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable('order_payments')
      .set({
        status: result.status,
        ...(result.amountReceived !== undefined ? { amount_received: result.amountReceived } : {}),
        failure_message: result.failureMessage ?? null,
        updated_at: new Date(),
      })
      .where('tenant_id', '=', result.tenantId)
      .where('order_id', '=', result.orderId)
      .where('attempt', '=', result.attempt)
      .execute();
    if (result.paid) {
      await trx
        .updateTable('orders')
        .set({
          status: 'paid',
          payment_intent_id: result.paid.paymentIntentId,
          captured_amount: result.paid.capturedAmount,
          paid_at: new Date(),
          updated_at: new Date(),
        })
        .where('tenant_id', '=', result.tenantId)
        .where('id', '=', result.orderId)
        .where('status', 'not in', PAID_STATUSES)
        .execute();
    } else {
      await trx
        .updateTable('orders')
        .set({ status: result.orderStatus, updated_at: new Date() })
        .where('tenant_id', '=', result.tenantId)
        .where('id', '=', result.orderId)
        .where('status', 'not in', PAID_STATUSES)
        .where('current_attempt', '=', result.attempt)
        .execute();
    }
  });
}
