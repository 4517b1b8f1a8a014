import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { orderHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/payments/config', access: 'signed_in', handler: 'getPaymentsConfig' },
  { method: 'post', path: '/v1/orders/{order_id}/payment-intents', access: 'signed_in', writes: true, handler: 'createPaymentIntent' },
  { method: 'post', path: '/v1/orders/{order_id}/confirm', access: 'signed_in', writes: true, handler: 'confirmPayment' },
  { method: 'get', path: '/v1/orders/{order_id}', access: 'signed_in', handler: 'getOrder' },
  { method: 'post', path: '/v1/payments/{id}/refunds', access: 'back_office', writes: true, handler: 'refundPayment' },
];

export { orderNamespace } from './mappers.js';

export function orderRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Orders'], table, contracts, handlers: orderHandlers(deps) });
}
