import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { transactionHandlers } from './handlers.js';
import { contracts } from './schemas.js';

/**
 * The seed system's transaction API: one Checkout Session at a time and one Payment Link per transaction, in the
 * tenant's Stripe account, idempotent by transaction_ref. Every payment settles the transaction through its
 * workflow; a second one is refunded.
 */
const table: RouteTable<typeof contracts> = [
  { method: 'post', path: '/v1/checkout-sessions', access: 'back_office', writes: true, handler: 'openCheckoutSession' },
  { method: 'post', path: '/v1/payment-links', access: 'back_office', writes: true, handler: 'ensurePaymentLink' },
  { method: 'get', path: '/v1/checkout-sessions/{session_id}/status', access: 'back_office', handler: 'sessionStatus' },
  { method: 'get', path: '/v1/transactions/{transaction_ref}', access: 'back_office', handler: 'transactionDetail' },
];

export function transactionRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Transactions'], table, contracts, handlers: transactionHandlers(deps) });
}
