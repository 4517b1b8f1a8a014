// Shim during renovation: importers move in the final pass.
export * from './recovery/messages.js';
export * from './recovery/workflow.js';
