import { createHash } from 'node:crypto';
import type { OrderRecord } from '../../../domain/order/contracts.js';
import { currencyExponent, formatMinorUnits } from '../../../domain/money.js';
import { isEndUser, type Principal } from '../../auth.js';

/**
 * Where an end user's order ids live: `u.<first 16 hex of sha256(tenant NUL user)>.` + the id they chose. Order ids
 * are unique per owner, so no user can take (or reach) another's order by choosing the same id; the internal id is
 * the workflow's (order:<tenant>:<internal id>) and Stripe's metadata order_id, so webhooks route unchanged.
 */
export function orderNamespace(tenantId: string, userId: string): string {
  return `u.${createHash('sha256').update(`${tenantId}\u0000${userId}`).digest('hex').slice(0, 16)}.`;
}

/** The id a caller is shown: an end user their own id, back office the internal one. */
export function shownOrderId(principal: Principal, internalId: string): string {
  if (!isEndUser(principal)) return internalId;
  const namespace = orderNamespace(principal.tenantId, principal.userId);
  return internalId.startsWith(namespace) ? internalId.slice(namespace.length) : internalId;
}

type StoredRefund = OrderRecord['refunds'][number];

export function refundJson(orderIdValue: string, refund: Omit<StoredRefund, 'createdAt'>) {
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
export function orderJson(order: OrderRecord, principal: Principal) {
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
    refunds: order.refunds.map((refund) => refundJson(shownId, refund)),
    ...(isEndUser(principal) ? {} : { owner_id: order.customerId }),
  };
}
