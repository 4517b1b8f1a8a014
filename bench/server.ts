/**
 * The HTTP server under test, run in its own process (forked by bench/run.ts) so the load generator does not
 * share its event loop. Protocol over IPC:
 *   parent → { type: 'start', mode, env }   child → { type: 'ready', port } | { type: 'error', message }
 *   parent → { type: 'stop' }               child exits after closing the server, pool and Temporal connection.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { Client } from '@temporalio/client';
import express from 'express';
import { loadConfig } from '../src/config.js';
import { createDb, type Db } from '../src/db/connection.js';
import { createApp } from '../src/gateway/app.js';
import { createLogger } from '../src/logger.js';
import { createTemporalClient } from '../src/temporal/connection.js';

export type ServerMode = 'bare-express' | 'gateway-stubbed-temporal' | 'gateway-full';

export type ParentMessage = { type: 'start'; mode: ServerMode; env: Record<string, string> } | { type: 'stop' };
export type ChildMessage = { type: 'ready'; port: number } | { type: 'error'; message: string };

export const WEBHOOK_PATH = '/v1/webhooks/stripe';

/** Resolves at once, like a Temporal server with zero latency; only what the webhook path touches. */
function stubTemporal(): Client {
  const stub = {
    workflow: {
      signalWithStart: async (_workflow: unknown, options: { workflowId: string }) => ({ workflowId: options.workflowId, signaledRunId: 'stub-run' }),
    },
    withDeadline: <R>(_deadline: number | Date, fn: () => Promise<R>): Promise<R> => fn(),
    connection: { close: async () => undefined },
  };
  return stub as unknown as Client;
}

function bareExpress(limit: string): express.Express {
  const app = express();
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit }), (_req, res) => {
    res.status(200).json({ received: true });
  });
  return app;
}

const send = (message: ChildMessage) => process.send?.(message);

let server: http.Server | undefined;
let db: Db | undefined;
let temporal: Client | undefined;

async function start(mode: ServerMode, env: Record<string, string>): Promise<number> {
  const config = loadConfig(env);
  let app: express.Express;
  if (mode === 'bare-express') {
    app = bareExpress(config.WEBHOOK_BODY_LIMIT);
  } else {
    db = createDb(config.DATABASE_URL);
    temporal = mode === 'gateway-full' ? createTemporalClient(config) : stubTemporal();
    app = createApp({ config, db, temporal, log: createLogger('silent', 'gateway') });
  }
  server = http.createServer(app);
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
  await temporal?.connection.close().catch(() => undefined);
  await db?.destroy().catch(() => undefined);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') {
    start(message.mode, message.env).then(
      (port) => send({ type: 'ready', port }),
      (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  } else if (message.type === 'stop') {
    void stop().finally(() => process.exit(0));
  }
});
// Never outlive the parent.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
