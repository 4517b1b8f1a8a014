import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { routerFromTable, type RouteDeps, type RouteTable } from '../../route.js';
import { recoveryHandlers } from './handlers.js';
import { contracts } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'post', path: '/v1/recoveries', access: 'back_office', writes: true, handler: 'startCampaign' },
  { method: 'get', path: '/v1/recoveries', access: 'back_office', handler: 'listCampaigns' },
  { method: 'get', path: '/v1/recoveries/{id}', access: 'back_office', handler: 'getCampaign' },
  { method: 'post', path: '/v1/recoveries/{id}/pause', access: 'admin', writes: true, handler: 'pause' },
  { method: 'post', path: '/v1/recoveries/{id}/resume', access: 'admin', writes: true, handler: 'resume' },
  { method: 'post', path: '/v1/recoveries/{id}/snooze', access: 'admin', writes: true, handler: 'snooze' },
  { method: 'post', path: '/v1/recoveries/{id}/cancel', access: 'admin', writes: true, handler: 'cancel' },
  { method: 'post', path: '/v1/recoveries/{id}/send-now', access: 'admin', writes: true, handler: 'sendNow' },
  { method: 'post', path: '/v1/recoveries/{id}/mark-paid', access: 'admin', writes: true, handler: 'markPaid' },
  { method: 'get', path: '/v1/admin/recovery-schedule', access: 'admin', handler: 'getSchedule' },
  { method: 'put', path: '/v1/admin/recovery-schedule', access: 'admin', writes: true, handler: 'saveSchedule' },
];

/** Payment-recovery campaigns, the operator actions on them, and the tenant's schedule. */
export function recoveryRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Recoveries'], table, contracts, handlers: recoveryHandlers(deps) });
}
