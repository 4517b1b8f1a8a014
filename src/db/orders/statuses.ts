import type { OrderStatus, RefundStatus } from '../../domain/order/contracts.js';

/** Refund statuses that hold part of the captured amount (everything except failed and canceled). */
export const ACTIVE_REFUND_STATUSES: RefundStatus[] = ['pending', 'requires_action', 'succeeded'];
/** Order statuses after a payment succeeded: an order never goes back from these to an unpaid one. */
export const PAID_STATUSES: OrderStatus[] = ['paid', 'partially_refunded', 'refunded'];
