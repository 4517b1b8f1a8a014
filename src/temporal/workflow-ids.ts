/** Deterministic business keys: the same business object always maps to the same workflow. */
export const topUpWorkflowId = (tenantId: string, topUpId: string): string => `topup:${tenantId}:${topUpId}`;
export const orderWorkflowId = (tenantId: string, orderId: string): string => `order:${tenantId}:${orderId}`;
export const subscriptionWorkflowId = (tenantId: string, subscriptionId: string): string => `subscription:${tenantId}:${subscriptionId}`;
export const invoiceWorkflowId = (tenantId: string, invoiceId: string): string => `invoice:${tenantId}:${invoiceId}`;
export const invoiceImportWorkflowId = (tenantId: string, importId: string): string => `invoice-import:${tenantId}:${importId}`;
/** `campaignId` is itself a business key such as `invoice:<id>` or `txn:<reference>`. */
export const recoveryWorkflowId = (tenantId: string, campaignId: string): string => `recovery:${tenantId}:${campaignId}`;
export const transactionWorkflowId = (tenantId: string, ref: string): string => `transaction:${tenantId}:${ref}`;
export const excessPaymentWorkflowId = (tenantId: string, paymentIntentId: string): string => `excess-payment:${tenantId}:${paymentIntentId}`;
