import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { adminHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/admin/financial-summary', access: 'admin', handler: 'financialSummary' },
  { method: 'get', path: '/v1/admin/financial-summary/series', access: 'admin', handler: 'financialSeries' },
  { method: 'get', path: '/v1/admin/recovery-funnel', access: 'admin', handler: 'recoveryFunnel' },
  { method: 'get', path: '/v1/admin/webhook-health', access: 'admin', handler: 'webhookHealth' },
];

/** The tenant's money and recoveries at a glance, and the platform's webhook ingest (the operator console's data). */
export function adminRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Admin'], table, contracts, handlers: adminHandlers(deps) });
}
