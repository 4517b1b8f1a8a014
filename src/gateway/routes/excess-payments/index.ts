import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { listExcessPayments } from '../../../db/excess-payments.js';
import { routerFromTable, type Handlers, type RouteDeps, type RouteTable } from '../../route.js';
import { excessPaymentJson } from './mappers.js';
import { contracts } from './schemas.js';

export { itemExcessPayments } from './mappers.js';
export { itemExcessPaymentsJson } from './schemas.js';

const table: RouteTable<typeof contracts> = [
  { method: 'get', path: '/v1/admin/excess-payments', access: 'admin', handler: 'listExcessPayments' },
];

function excessPaymentHandlers({ db }: RouteDeps): Handlers<typeof contracts> {
  return {
    async listExcessPayments({ query, principal }, res) {
      const rows = await listExcessPayments(db, principal.tenantId, { limit: query.limit });
      res.json({ data: rows.map(excessPaymentJson) });
    },
  };
}

/** Money that arrived for an item already settled, and the refund that sent it back (admin). */
export function excessPaymentRoutes(registry: OpenAPIRegistry, deps: RouteDeps): Router {
  return routerFromTable(registry, deps, { tags: ['Admin'], table, contracts, handlers: excessPaymentHandlers(deps) });
}
