import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/db/connection.js';
import { createApp } from '../../src/gateway/app.js';
import { createLogger } from '../../src/logger.js';

/** Just the gateway (no worker) on a database of the test's choosing, e.g. one that is down or frozen. */
export async function startGatewayOnly(config: Config, db: Db): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const server: Server = await new Promise((resolve) => {
    const listening = createApp({ config, db, temporal, log: createLogger('silent') }).listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await connection.close();
    },
  };
}
