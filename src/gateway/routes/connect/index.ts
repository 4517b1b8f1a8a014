import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { connectHandlers } from './handlers.js';
import { contracts } from './schemas.js';

export { CONNECT_STATE_TTL_SECONDS } from './handlers.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/connect/stripe/start', access: 'admin', writes: true, handler: 'startOnboarding' },
  // The admin's browser back from Stripe: no credentials, the signed state authorises it; the per-address write budget.
  { method: 'get', path: '/v1/connect/stripe/callback', access: 'public', writes: true, handler: 'oauthCallback' },
  { method: 'get', path: '/v1/connect/stripe', access: 'signed_in', handler: 'connectionStatus' },
  { method: 'delete', path: '/v1/connect/stripe', access: 'admin', writes: true, handler: 'disconnect' },
];

export function connectRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Connect'], table, contracts, handlers: connectHandlers(deps) });
}
