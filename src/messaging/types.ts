// Shim during renovation: importers move in the final pass.
export * from '../domain/messaging/contracts.js';
