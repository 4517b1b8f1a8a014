// Shim during renovation: importers move in the final pass.
export * from './order/messages.js';
export * from './order/workflow.js';
