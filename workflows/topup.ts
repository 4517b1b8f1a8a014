// Shim during renovation: importers move in the final pass.
export * from './top-up/messages.js';
export * from './top-up/workflow.js';
