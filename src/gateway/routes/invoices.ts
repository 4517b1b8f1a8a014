import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { RouteDeps } from '../route.js';

export function invoiceRoutes(_registry: OpenAPIRegistry, _deps: RouteDeps): Router {
  return Router();
}
