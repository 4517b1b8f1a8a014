import type { Client } from '@temporalio/client';
import { Router, type RequestHandler } from 'express';
import { pingDatabase, type Db } from '../../../db/connection.js';

export interface HealthDeps {
  db: Db;
  temporal: Client;
  version: string;
  timeoutMs: number;
}

type HealthHandler = 'liveness' | 'version' | 'readiness';

/** Probes for orchestrators and load balancers: no credentials, not in the OpenAPI document. */
const table: readonly { method: 'get'; path: string; handler: HealthHandler }[] = [
  { method: 'get', path: '/healthz', handler: 'liveness' },
  { method: 'get', path: '/version', handler: 'version' },
  { method: 'get', path: '/readyz', handler: 'readiness' },
];

async function check(name: string, probe: () => Promise<unknown>, timeoutMs: number): Promise<[string, 'ok' | string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return [name, 'ok'];
  } catch (error) {
    return [name, error instanceof Error ? error.message : String(error)];
  } finally {
    clearTimeout(timer);
  }
}

function healthHandlers({ db, temporal, version, timeoutMs }: HealthDeps): Record<HealthHandler, RequestHandler> {
  return {
    liveness(_req, res) {
      res.json({ status: 'ok' });
    },
    version(_req, res) {
      res.json({ version, node: process.version });
    },
    async readiness(_req, res) {
      const results = await Promise.all([
        // Holds a pool slot no longer than the probe's own deadline, so abandoned probes cannot drain the pool.
        check('postgres', () => pingDatabase(db, timeoutMs), timeoutMs),
        check(
          'temporal',
          () => temporal.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.getSystemInfo({})),
          timeoutMs,
        ),
      ]);
      const checks = Object.fromEntries(results);
      const ready = results.every(([, status]) => status === 'ok');
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
    },
  };
}

export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  const handlers = healthHandlers(deps);
  for (const row of table) router[row.method](row.path, handlers[row.handler]);
  return router;
}
