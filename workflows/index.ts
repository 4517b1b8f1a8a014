export { topUpWorkflow } from './topup.js';
export { orderWorkflow } from './order.js';
export { subscriptionWorkflow } from './subscription.js';
export { invoiceWorkflow } from './invoice.js';
export { invoiceImportWorkflow } from './invoice-import.js';
export { recoveryWorkflow } from './recovery.js';
export { transactionWorkflow } from './transaction.js';
export { excessPaymentWorkflow } from './excess-payment.js';
