import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { subscriptionHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/products', access: 'signed_in', handler: 'listProducts' },
  { method: 'put', path: '/v1/admin/prices/{id}/credits', access: 'admin', writes: true, handler: 'setPriceCredits' },
  { method: 'post', path: '/v1/subscriptions/checkout', access: 'signed_in', writes: true, handler: 'startCheckout' },
  { method: 'get', path: '/v1/subscriptions', access: 'signed_in', handler: 'listSubscriptions' },
  { method: 'get', path: '/v1/subscriptions/{id}', access: 'signed_in', handler: 'getSubscription' },
  { method: 'get', path: '/v1/subscriptions/{id}/summary', access: 'signed_in', handler: 'getSummary' },
  { method: 'delete', path: '/v1/subscriptions/{id}', access: 'signed_in', writes: true, handler: 'cancelSubscription' },
  { method: 'post', path: '/v1/billing-portal', access: 'signed_in', writes: true, handler: 'openBillingPortal' },
];

/** Catalog, subscription Checkout, subscriptions and the billing portal; Stripe writes run in billing-session workflows. */
export function subscriptionRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Subscriptions'], table, contracts, handlers: subscriptionHandlers(deps) });
}
