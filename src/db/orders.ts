import { sql, type ColumnType, type Kysely, type Transaction } from 'kysely';
import type {
  OrderAttemptRecord,
  OrderRecord,
  OrderStatus,
  RefundReason,
  RefundStatus,
  RefundSummary,
} from '../../activities/order-types.js';
import { toSafeInteger } from '../money.js';
import type { Db } from './connection.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from './errors.js';
import type { Database } from './schema.js';

type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface OrdersTable {
  tenant_id: string;
  id: string;
  customer_id: string | null;
  receipt_email: string | null;
  description: string | null;
  amount: BigIntColumn;
  currency: string;
  status: OrderStatus;
  current_attempt: ColumnType<number, number | undefined, number>;
  payment_intent_id: string | null;
  captured_amount: ColumnType<string, number | undefined, number | string>;
  refunded_total: ColumnType<string, number | undefined, number | string | ReturnType<typeof sql>>;
  paid_at: Date | null;
  /** Migration 0013: the account the order's Stripe objects live in; null = the platform account. */
  stripe_account_id: ColumnType<string | null, string | null | undefined | ReturnType<typeof sql>, never>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrderPaymentsTable {
  tenant_id: string;
  order_id: string;
  attempt: number;
  payment_intent_id: string;
  status: string;
  amount: BigIntColumn;
  currency: string;
  amount_received: BigIntColumn | null;
  failure_message: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrderRefundsTable {
  tenant_id: string;
  id: string;
  order_id: string;
  request_key: string;
  idempotency_key: string;
  payment_intent_id: string;
  stripe_refund_id: string | null;
  amount: BigIntColumn;
  currency: string;
  reason: RefundReason;
  note: string | null;
  status: RefundStatus;
  failure_reason: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type OrderTables = {
  orders: OrdersTable;
  order_payments: OrderPaymentsTable;
  order_refunds: OrderRefundsTable;
};

export type OrderDb = Kysely<Database & OrderTables>;

/** The order tables live next to the foundation schema without editing the shared Database type. */
export const orderDb = (db: Db): OrderDb => db.withTables<OrderTables>();

/** Refund statuses that hold part of the captured amount (everything except failed and canceled). */
export const ACTIVE_REFUND_STATUSES: RefundStatus[] = ['pending', 'requires_action', 'succeeded'];
const PAID_STATUSES: OrderStatus[] = ['paid', 'partially_refunded', 'refunded'];

/** A refund would take the order's refunds above its captured amount. */
export class RefundExceedsCapturedError extends Error {
  constructor(readonly captured: number, readonly alreadyRefunded: number, readonly requested: number) {
    super(`refund of ${requested} exceeds the remaining ${captured - alreadyRefunded} of ${captured} captured`);
    this.name = 'RefundExceedsCapturedError';
  }
}

export const refundIdempotencyKey = (tenantId: string, orderId: string, requestKey: string): string =>
  `refund:${tenantId}:${orderId}:${requestKey}`;

export async function upsertOrder(
  db: Db,
  order: { tenantId: string; id: string; customerId?: string; receiptEmail?: string; description?: string; amount: number; currency: string },
): Promise<void> {
  await orderDb(db)
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
export async function orderStripeAccount(db: Db, tenantId: string, ref: { orderId: string } | { paymentIntentId: string }): Promise<string | null> {
  const odb = orderDb(db);
  const row =
    'orderId' in ref
      ? await odb.selectFrom('orders').select('stripe_account_id').where('tenant_id', '=', tenantId).where('id', '=', ref.orderId).executeTakeFirst()
      : await odb
          .selectFrom('orders')
          .innerJoin('order_payments', (join) => join.onRef('order_payments.tenant_id', '=', 'orders.tenant_id').onRef('order_payments.order_id', '=', 'orders.id'))
          .select('orders.stripe_account_id')
          .where('orders.tenant_id', '=', tenantId)
          .where('order_payments.payment_intent_id', '=', ref.paymentIntentId)
          .executeTakeFirst();
  return row?.stripe_account_id ?? null;
}

type NewAttempt = { tenantId: string; orderId: string; attempt: number; paymentIntentId: string; status: string; amount: number; currency: string };

/** The attempt row (idempotent by tenant, order, attempt), made the order's current attempt unless it is paid. */
async function addAttempt(trx: Transaction<Database & OrderTables>, attempt: NewAttempt): Promise<void> {
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

export async function insertAttempt(db: Db, attempt: NewAttempt): Promise<void> {
  await orderDb(db).transaction().execute((trx) => addAttempt(trx, attempt));
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
  db: Db,
  attempt: { tenantId: string; orderId: string; attempt: number; checkoutSessionId: string; amount: number; currency: string; replaces?: number },
): Promise<void> {
  await orderDb(db).transaction().execute(async (trx) => {
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
  db: Db,
  bind: { tenantId: string; orderId: string; attempt: number; paymentIntentId: string },
): Promise<boolean> {
  const odb = orderDb(db);
  await odb
    .updateTable('order_payments')
    .set({ payment_intent_id: bind.paymentIntentId, updated_at: new Date() })
    .where('tenant_id', '=', bind.tenantId)
    .where('order_id', '=', bind.orderId)
    .where('attempt', '=', bind.attempt)
    .where('payment_intent_id', 'like', `${PENDING_PAYMENT_INTENT_PREFIX}%`)
    .execute();
  const row = await odb
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
export async function recordAttemptResult(db: Db, result: AttemptResult): Promise<void> {
  await orderDb(db).transaction().execute(async (trx) => {
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

export type StoredRefund = Omit<RefundSummary, 'replayed'> & { createdAt: string };

function toRefund(row: {
  id: string;
  request_key: string;
  payment_intent_id: string;
  amount: string;
  currency: string;
  reason: RefundReason;
  note: string | null;
  status: RefundStatus;
  stripe_refund_id: string | null;
  failure_reason: string | null;
  created_at: Date;
}): StoredRefund {
  return {
    id: row.id,
    requestKey: row.request_key,
    paymentIntentId: row.payment_intent_id,
    amount: toSafeInteger(row.amount),
    currency: row.currency,
    reason: row.reason,
    ...(row.note !== null ? { note: row.note } : {}),
    status: row.status,
    ...(row.stripe_refund_id !== null ? { stripeRefundId: row.stripe_refund_id } : {}),
    ...(row.failure_reason !== null ? { failureReason: row.failure_reason } : {}),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Inserts a pending refund exactly once per (tenant, idempotency key). The order row is locked and the sum of
 * active refunds checked against the captured amount in the same transaction: a second line of defence behind
 * the workflow's reservation.
 */
export async function insertRefund(
  db: Db,
  refund: {
    tenantId: string;
    orderId: string;
    id: string;
    requestKey: string;
    paymentIntentId: string;
    amount: number;
    currency: string;
    reason: RefundReason;
    note?: string;
    status?: RefundStatus;
    stripeRefundId?: string;
  },
): Promise<{ refund: StoredRefund; created: boolean }> {
  const odb = orderDb(db);
  const idempotencyKey = refundIdempotencyKey(refund.tenantId, refund.orderId, refund.requestKey);
  const existing = async () =>
    odb
      .selectFrom('order_refunds')
      .selectAll()
      .where('tenant_id', '=', refund.tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  const replay = await existing();
  if (replay) return { refund: toRefund(replay), created: false };
  try {
    const row = await odb.transaction().execute(async (trx) => {
      const order = await trx
        .selectFrom('orders')
        .select(['captured_amount'])
        .where('tenant_id', '=', refund.tenantId)
        .where('id', '=', refund.orderId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const { total } = await trx
        .selectFrom('order_refunds')
        .select(sql<string>`coalesce(sum(amount), 0)`.as('total'))
        .where('tenant_id', '=', refund.tenantId)
        .where('order_id', '=', refund.orderId)
        .where('status', 'in', ACTIVE_REFUND_STATUSES)
        .executeTakeFirstOrThrow();
      const captured = toSafeInteger(order.captured_amount);
      const active = toSafeInteger(total);
      const status = refund.status ?? 'pending';
      if (ACTIVE_REFUND_STATUSES.includes(status) && active + refund.amount > captured) {
        throw new RefundExceedsCapturedError(captured, active, refund.amount);
      }
      return trx
        .insertInto('order_refunds')
        .values({
          tenant_id: refund.tenantId,
          id: refund.id,
          order_id: refund.orderId,
          request_key: refund.requestKey,
          idempotency_key: idempotencyKey,
          payment_intent_id: refund.paymentIntentId,
          stripe_refund_id: refund.stripeRefundId ?? null,
          amount: refund.amount,
          currency: refund.currency,
          reason: refund.reason,
          note: refund.note ?? null,
          status,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return { refund: toRefund(row), created: true };
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      const winner = await existing();
      if (winner) return { refund: toRefund(winner), created: false };
    }
    throw error;
  }
}

/**
 * Recomputes an order's refunded total (its succeeded refunds) and refund status in one statement. Call it inside
 * a transaction that holds the order's row lock (lockOrder): under READ COMMITTED each statement then sees every
 * refund committed by the transactions that held the lock before, so concurrent refunds never lose an update.
 */
async function refreshRefundTotals(trx: Transaction<Database & OrderTables>, tenantId: string, orderId: string): Promise<void> {
  await sql`
    update orders o set
      refunded_total = r.total,
      status = case
        when o.status not in ('paid', 'partially_refunded', 'refunded') then o.status
        when r.total = 0 then 'paid'
        when r.total >= o.captured_amount then 'refunded'
        else 'partially_refunded' end,
      updated_at = now()
    from (
      select coalesce(sum(amount), 0) as total from order_refunds
      where tenant_id = ${tenantId} and order_id = ${orderId} and status = 'succeeded'
    ) r
    where o.tenant_id = ${tenantId} and o.id = ${orderId}`.execute(trx);
}

async function lockOrder(trx: Transaction<Database & OrderTables>, tenantId: string, orderId: string): Promise<void> {
  await trx.selectFrom('orders').select('id').where('tenant_id', '=', tenantId).where('id', '=', orderId).forUpdate().execute();
}

/** Moves a refund and recomputes the order's refunded total (succeeded refunds) and refund status. */
export async function updateRefund(
  db: Db,
  update: { tenantId: string; orderId: string; id: string; status: RefundStatus; stripeRefundId?: string; failureReason?: string },
): Promise<void> {
  await orderDb(db).transaction().execute(async (trx) => {
    // The order's row lock first, before the refund row: one lock order for every writer, and a fresh snapshot after it.
    await lockOrder(trx, update.tenantId, update.orderId);
    await trx
      .updateTable('order_refunds')
      .set({
        status: update.status,
        ...(update.stripeRefundId !== undefined ? { stripe_refund_id: update.stripeRefundId } : {}),
        ...(update.failureReason !== undefined ? { failure_reason: update.failureReason } : {}),
        updated_at: new Date(),
      })
      .where('tenant_id', '=', update.tenantId)
      .where('id', '=', update.id)
      .execute();
    await refreshRefundTotals(trx, update.tenantId, update.orderId);
  });
}

/**
 * charge.refunded names Stripe's own total for the charge: recompute from order_refunds under the row lock, so a
 * total that drifted (a lost write, a crash between statements) is repaired. Returns our succeeded total after it.
 */
export async function reconcileRefundTotals(db: Db, tenantId: string, orderId: string): Promise<number> {
  return orderDb(db)
    .transaction()
    .execute(async (trx) => {
      await lockOrder(trx, tenantId, orderId);
      await refreshRefundTotals(trx, tenantId, orderId);
      const row = await trx.selectFrom('orders').select('refunded_total').where('tenant_id', '=', tenantId).where('id', '=', orderId).executeTakeFirst();
      return row ? toSafeInteger(row.refunded_total) : 0;
    });
}

export async function findOrder(db: Db, tenantId: string, id: string): Promise<OrderRecord | undefined> {
  const odb = orderDb(db);
  const row = await odb.selectFrom('orders').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const attempts = await odb
    .selectFrom('order_payments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('order_id', '=', id)
    .orderBy('attempt')
    .execute();
  const refunds = await odb
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
  db: Db,
  paymentIntentId: string,
  tenantId?: string,
): Promise<Array<{ tenantId: string; orderId: string }>> {
  let query = orderDb(db)
    .selectFrom('order_payments')
    .select(['tenant_id', 'order_id'])
    .distinct()
    .where('payment_intent_id', '=', paymentIntentId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const rows = await query.limit(2).execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, orderId: row.order_id }));
}
