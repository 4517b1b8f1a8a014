/**
 * The gateway (createApp) in its own process for the informational HTTP spend scenario, so the load generator
 * does not share its event loop. The spend route never touches Temporal, so the client is a stub.
 * IPC: parent → { type: 'start', env }; child → { type: 'ready', port } | { type: 'error', message };
 * parent → { type: 'stop' } (or disconnects): the child closes the server and pool and exits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config.js';
import { appDbOptions, createDb, type Db } from '../../src/db/connection.js';
import { createApp } from '../../src/gateway/app.js';
import { createLogger } from '../../src/logger.js';

export type HttpServerRequest = { type: 'start'; env: Record<string, string> } | { type: 'stop' };
export type HttpServerReply = { type: 'ready'; port: number } | { type: 'error'; message: string };

const unusedTemporal = { connection: { close: async () => undefined } } as unknown as Client;

let server: http.Server | undefined;
let db: Db | undefined;

async function start(env: Record<string, string>): Promise<number> {
  const config = loadConfig(env);
  db = createDb(config.DATABASE_URL, appDbOptions(config)); // the gateway's own pool settings (src/gateway/main.ts)
  server = http.createServer(createApp({ config, db, temporal: unusedTemporal, log: createLogger('silent', 'gateway') }));
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function stop(): Promise<void> {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
  await db?.destroy();
}

const reply = (message: HttpServerReply) => process.send?.(message);
let stopping: Promise<void> | undefined;
const exit = () => {
  stopping ??= stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`wallet http server: stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};

process.on('message', (message: HttpServerRequest) => {
  if (message.type === 'start') {
    start(message.env).then(
      (port) => reply({ type: 'ready', port }),
      (error: unknown) => reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  } else if (message.type === 'stop') {
    exit();
  }
});
process.on('disconnect', exit);
