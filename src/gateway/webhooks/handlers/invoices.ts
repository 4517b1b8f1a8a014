import type { WebhookHandlerMap } from '../types.js';

/** invoice.* events → InvoiceWorkflow (one per invoice). */
export const invoiceHandlers: WebhookHandlerMap = {};
