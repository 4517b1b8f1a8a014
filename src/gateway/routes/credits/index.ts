import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { creditHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/credits/top-up-options', access: 'signed_in', handler: 'topUpOptions' },
  { method: 'post', path: '/v1/credits/top-ups', access: 'signed_in', writes: true, handler: 'startTopUp' },
  { method: 'get', path: '/v1/credits/top-ups/{id}', access: 'signed_in', handler: 'getTopUp' },
  { method: 'get', path: '/v1/credits/balance', access: 'signed_in', handler: 'getBalance' },
  { method: 'get', path: '/v1/credits/ledger', access: 'signed_in', handler: 'listLedger' },
  { method: 'post', path: '/v1/credits/spend', access: 'signed_in', writes: true, handler: 'spend' },
  { method: 'post', path: '/v1/credits/grants', access: 'admin', writes: true, handler: 'grant' },
];

export function creditRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Credits'], table, contracts, handlers: creditHandlers(deps) });
}
