// Shim during renovation: importers move in the final pass.
export * from './invoice/messages.js';
export * from './invoice/workflow.js';
