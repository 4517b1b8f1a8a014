// Shim during renovation: importers move in the final pass.
export * from '../src/domain/invoice-import/contracts.js';
