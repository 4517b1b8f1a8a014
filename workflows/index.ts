// The worker's workflow bundle entry: every workflow function, by the name Temporal knows it as (its type).
export { topUpWorkflow } from './top-up/workflow.js';
export { orderWorkflow } from './order/workflow.js';
export { subscriptionWorkflow } from './subscription/workflow.js';
export { invoiceWorkflow } from './invoice/workflow.js';
export { invoiceImportWorkflow } from './invoice-import/workflow.js';
export { recoveryWorkflow } from './recovery/workflow.js';
export { transactionWorkflow } from './transaction/workflow.js';
export { excessPaymentWorkflow } from './excess-payment/workflow.js';
export { billingSessionWorkflow } from './billing-session/workflow.js';
export { eventSweepWorkflow } from './event-sweep/workflow.js';
export { parkedEventsWorkflow } from './parked-events/workflow.js';
