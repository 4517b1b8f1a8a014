import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfigOrExit } from '../config.js';
import { createDb } from '../db/connection.js';
import { createLogger } from '../logger.js';
import { createStripeClient } from '../stripe/client.js';
import { connectionOptions } from '../temporal/connection.js';
import { createWorker } from './create-worker.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'worker');
const db = createDb(config.DATABASE_URL);
const connection = await NativeConnection.connect(connectionOptions(config));
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  // The worker's own connection doubles as a client for activities that signal workflows (invoice imports).
  deps: { db, stripe: createStripeClient(config), temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }) },
  workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
try {
  await worker.run();
} finally {
  await connection.close();
  await db.destroy();
  log.info('worker stopped');
}
