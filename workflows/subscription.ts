// Shim during renovation: importers move in the final pass.
export * from './subscription/messages.js';
export * from './subscription/workflow.js';
