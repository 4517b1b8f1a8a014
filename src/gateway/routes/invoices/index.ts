import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { invoiceHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'post', path: '/v1/invoices', access: 'back_office', writes: true, handler: 'createInvoice' },
  { method: 'get', path: '/v1/invoices', access: 'signed_in', handler: 'listInvoices' },
  { method: 'get', path: '/v1/invoices/{id}', access: 'signed_in', handler: 'getInvoice' },
  { method: 'put', path: '/v1/clients/{id}', access: 'back_office', writes: true, handler: 'linkClient' },
  { method: 'post', path: '/v1/invoices/{id}/void', access: 'back_office', writes: true, handler: 'voidInvoice' },
  { method: 'post', path: '/v1/invoices/{id}/payment-link', access: 'back_office', writes: true, handler: 'createPaymentLink' },
  { method: 'post', path: '/v1/invoices/imports', access: 'back_office', writes: true, handler: 'startImport' },
  { method: 'get', path: '/v1/invoices/imports/{id}', access: 'back_office', handler: 'getImport' },
];

/** Manual invoices, their clients and Payment Links, and imports of Stripe invoices. */
export function invoiceRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Invoices'], table, contracts, handlers: invoiceHandlers(deps) });
}
