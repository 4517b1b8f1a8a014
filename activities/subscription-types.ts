// Shim during renovation: importers move in the final pass.
export * from '../src/domain/subscription/contracts.js';
export * from '../src/stripe/subscription-snapshot.js';
