// Shim during renovation: importers move in the final pass.
export * from './orders/attempts.js';
export * from './orders/order.js';
export { insertRefund, reconcileRefundTotals, refundIdempotencyKey, RefundExceedsCapturedError, updateRefund, type StoredRefund } from './orders/refunds.js';
export { ACTIVE_REFUND_STATUSES } from './orders/statuses.js';
