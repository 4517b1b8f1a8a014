/** Order histories from before recovery campaigns existed replay without the notification. */
export const RECOVERY_CAMPAIGNS_PATCH = 'order-recovery-campaigns';
/** charge.refunded recomputes the stored refunded total and status; older histories only noted Stripe's amount. */
export const REFUND_RECONCILE_PATCH = 'order-refund-reconcile';
/** A second payment of a paid order is refunded in full (histories from before only logged it). */
export const EXCESS_REFUND_PATCH = 'order-excess-refund';
/** A refund of a PaymentIntent that did not pay the order is not recorded as the order's refund (before: it was). */
export const FOREIGN_REFUND_PATCH = 'order-foreign-refund-ignored';
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const ORDER_REJECTED_INPUT_PATCH = 'order-rejected-input';
/** Fewer billed actions: createPaymentIntent records the order itself (no recordOrder) and unchanged search attributes are not upserted. */
export const ORDER_LEAN_ACTIONS_PATCH = 'order-lean-actions';
