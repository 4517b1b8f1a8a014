/**
 * The real gateway (createApp) on one of the bench databases, in this process, with an admin API key for a
 * tenant. Temporal is a lazy client to an address nothing listens on: the read routes measured here must not
 * touch it, and a request that did would fail instead of quietly timing Temporal.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { createApiKey } from '../../src/db/api-keys.js';
import { appDbOptions, createDb } from '../../src/db/connection.js';
import { createApp } from '../../src/gateway/app.js';
import { createLogger } from '../../src/logger.js';
import { createTemporalClient } from '../../src/temporal/connection.js';

export interface BenchGateway {
  baseUrl: string;
  apiKey: string;
  stop(): Promise<void>;
}

export async function startGateway(databaseUrl: string, tenantId: string): Promise<BenchGateway> {
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: '127.0.0.1:9', // discard: never connected (lazy), see above
    TEMPORAL_TASK_QUEUE: 'bench-reads',
    TEMPORAL_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_0123456789abcdef0123456789abcdef',
    STRIPE_API_VERSION: '2026-10-28.endive',
  });
  const db = createDb(config.DATABASE_URL, appDbOptions(config));
  const temporal = createTemporalClient(config);
  const { key } = await createApiKey(db, { tenantId, name: 'bench reads', role: 'admin' });
  const server: Server = await new Promise((resolve) => {
    const listening = createApp({ config, db, temporal, log: createLogger(config.LOG_LEVEL) }).listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: key,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.connection.close().catch(() => undefined);
      await db.destroy();
    },
  };
}
