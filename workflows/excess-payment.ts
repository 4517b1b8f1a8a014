// Shim during renovation: importers move in the final pass.
export * from './excess-payment/messages.js';
export * from './excess-payment/workflow.js';
