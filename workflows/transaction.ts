// Shim during renovation: importers move in the final pass.
export * from './transaction/messages.js';
export * from './transaction/workflow.js';
