// Shim during renovation: importers move in the final pass.
export * from './payment-return/index.js';
