import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config.js';
import { appDbOptions, createDb } from '../db/connection.js';
import { createLogger } from '../logger.js';
import { connectionOptions } from '../temporal/connection.js';
import { createWorker } from './create-worker.js';
import { createActivityDeps } from './deps.js';
import { ensureEventSweepSchedules } from './event-sweeps.js';
import { temporalRuntimeLogger } from './runtime-logger.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'worker');
Runtime.install({
  logger: temporalRuntimeLogger(log, config.LOG_LEVEL),
  // The SDK's own worker metrics (task slots, schedule-to-start latency, activity failures…) for Prometheus.
  ...(config.WORKER_METRICS_PORT ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.WORKER_METRICS_PORT}` } } } } : {}),
});
const db = createDb(config.DATABASE_URL, appDbOptions(config));
const connection = await NativeConnection.connect(connectionOptions(config));
const deps = createActivityDeps(config, db, connection, log);
const worker = await createWorker({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps,
  workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
await ensureEventSweepSchedules(deps.temporal, db, config, log);
log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
try {
  await worker.run();
} finally {
  deps.close();
  await connection.close();
  await db.destroy();
  log.info('worker stopped');
}
