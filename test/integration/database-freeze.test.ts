import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApiKey } from '../../src/db/api-keys.js';
import { appDbOptions, createDb, poolStats, type Db } from '../../src/db/connection.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { api, createTestDatabase, waitFor } from '../helpers/app-context.js';
import { startFreezableProxy, type FreezableProxy } from '../helpers/freezable-proxy.js';
import { startGatewayOnly } from '../helpers/gateway-only.js';
import { getStack } from '../helpers/stack.js';

/**
 * PostgreSQL that stops answering without closing anything (SIGSTOP, a network black hole): requests give up
 * with 503 instead of hanging as long as it does, readiness probes do not drain the pool, and once it answers
 * again the pool serves requests again.
 */
let proxy: FreezableProxy;
let gateway: Awaited<ReturnType<typeof startGatewayOnly>> | undefined;
let db: Db;
let setupDb: Db;
let baseUrl: string;
let key: string;

beforeAll(async () => {
  const stack = getStack();
  const database = await createTestDatabase();
  setupDb = database.db;
  await ensureTenant(setupDb, { id: 't1', name: 'Tenant one' });
  key = (await createApiKey(setupDb, { tenantId: 't1', name: 'freeze', role: 'member' })).key;

  const target = new URL(database.url);
  proxy = await startFreezableProxy(Number(target.port), target.hostname);
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  const config = loadConfig({
    ...stack.env,
    DATABASE_URL: proxied.toString(),
    DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    DATABASE_CONNECT_TIMEOUT_MS: '500',
    LOG_LEVEL: 'silent',
  });
  db = createDb(config.DATABASE_URL, appDbOptions(config));
  gateway = await startGatewayOnly(config, db);
  baseUrl = gateway.baseUrl;
});

afterAll(async () => {
  proxy?.thaw();
  await gateway?.close();
  await db?.destroy();
  await setupDb?.destroy();
  await proxy?.close();
});

const balance = () => api({ baseUrl }, 'GET', '/v1/credits/balance?account_id=a', { key });

describe('database freeze', () => {
  it('answers 503 while PostgreSQL is frozen, keeps the pool usable, and recovers when it thaws', async () => {
    const before = await balance();
    expect(before.status).toBe(200);

    proxy.freeze();
    try {
      const frozen = await balance();
      expect(frozen.status).toBe(503);
      expect(frozen.body.code).toBe('database_unavailable');
      expect(frozen.headers.get('retry-after')).toBe('5');

      // More abandoned probes than the pool has slots (10), in waves like a load balancer's.
      for (let wave = 0; wave < 3; wave += 1) {
        const probes = await Promise.all(Array.from({ length: 6 }, () => api({ baseUrl }, 'GET', '/readyz')));
        for (const probe of probes) {
          expect(probe.status).toBe(503);
          expect(probe.body.checks.postgres).not.toBe('ok');
        }
      }
      // No connection stays checked out by a query the server never answered.
      await waitFor(async () => {
        const stats = poolStats(db)!;
        return stats.total - stats.idle === 0 && stats.waiting === 0 ? true : undefined;
      }, 'the pool to hold no abandoned connections', 10_000);

      const stillFrozen = await balance();
      expect(stillFrozen.status).toBe(503);
      expect(stillFrozen.body.code).toBe('database_unavailable');
    } finally {
      proxy.thaw();
    }

    const after = await waitFor(async () => {
      const response = await balance();
      return response.status === 200 ? response : undefined;
    }, 'a request to succeed after the thaw', 15_000);
    expect(after.body).toEqual({ account_id: 'a', balances: [] });
    const ready = await api({ baseUrl }, 'GET', '/readyz');
    expect(ready.body.checks.postgres).toBe('ok');
  });
});
