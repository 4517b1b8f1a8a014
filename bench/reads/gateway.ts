/**
 * The real gateway (createApp) on one of the bench databases, in this process, with an admin API key for a
 * tenant. Temporal is a lazy client to an address nothing listens on: the read routes measured here must not
 * touch it, and a request that did would fail instead of quietly timing Temporal.
 */
import { benchAppEnv } from '../app-env.js';
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
  const config = loadConfig(
    benchAppEnv({
      databaseUrl,
      temporalAddress: '127.0.0.1:9', // discard: never connected (lazy), see above
      taskQueue: 'bench-reads',
    }),
  );
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
