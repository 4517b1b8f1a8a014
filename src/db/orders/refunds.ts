import { sql, type Transaction } from 'kysely';
import type { RefundReason, RefundStatus, RefundSummary } from '../../domain/order/contracts.js';
import { toSafeInteger } from '../../domain/money.js';
import { inTransaction, recoverable } from '../atomic.js';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../errors.js';
import type { Database, DbExecutor } from '../schema.js';
import { ACTIVE_REFUND_STATUSES } from './statuses.js';

/** A refund would take the order's refunds above its captured amount. */
export class RefundExceedsCapturedError extends Error {
  constructor(readonly captured: number, readonly alreadyRefunded: number, readonly requested: number) {
    super(`refund of ${requested} exceeds the remaining ${captured - alreadyRefunded} of ${captured} captured`);
    this.name = 'RefundExceedsCapturedError';
  }
}

export const refundIdempotencyKey = (tenantId: string, orderId: string, requestKey: string): string =>
  `refund:${tenantId}:${orderId}:${requestKey}`;

export type StoredRefund = Omit<RefundSummary, 'replayed'> & { createdAt: string };

export function toRefund(row: {
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
  db: DbExecutor,
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
  const idempotencyKey = refundIdempotencyKey(refund.tenantId, refund.orderId, refund.requestKey);
  const existing = async () =>
    db
      .selectFrom('order_refunds')
      .selectAll()
      .where('tenant_id', '=', refund.tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  const replay = await existing();
  if (replay) return { refund: toRefund(replay), created: false };
  try {
    // Recoverable: inside a caller's transaction the unique violation must not abort it before the re-read below.
    const row = await recoverable(db, (step) =>
      inTransaction(step, async (trx) => {
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
      }),
    );
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
async function refreshRefundTotals(trx: Transaction<Database>, tenantId: string, orderId: string): Promise<void> {
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

async function lockOrder(trx: Transaction<Database>, tenantId: string, orderId: string): Promise<void> {
  await trx.selectFrom('orders').select('id').where('tenant_id', '=', tenantId).where('id', '=', orderId).forUpdate().execute();
}

/** Moves a refund and recomputes the order's refunded total (succeeded refunds) and refund status. */
export async function updateRefund(
  db: DbExecutor,
  update: { tenantId: string; orderId: string; id: string; status: RefundStatus; stripeRefundId?: string; failureReason?: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
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
export async function reconcileRefundTotals(db: DbExecutor, tenantId: string, orderId: string): Promise<number> {
  return inTransaction(db, async (trx) => {
    await lockOrder(trx, tenantId, orderId);
    await refreshRefundTotals(trx, tenantId, orderId);
    const row = await trx.selectFrom('orders').select('refunded_total').where('tenant_id', '=', tenantId).where('id', '=', orderId).executeTakeFirst();
    return row ? toSafeInteger(row.refunded_total) : 0;
  });
}
