// Shim during renovation: importers move in the final pass.
export * from '../src/domain/recovery/time.js';
