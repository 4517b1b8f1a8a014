// Shim during renovation: importers move in the final pass.
export * from './invoice-import/messages.js';
export * from './invoice-import/workflow.js';
