// Shim during renovation: importers move in the final pass.
export type { InvoiceTables } from './schema.js';
export * from './invoices/manual.js';
export * from './invoices/payments.js';
export * from './invoices/queries.js';
export type { InvoiceDetails, InvoiceLine } from './invoices/rows.js';
export * from './invoices/stripe-sync.js';
