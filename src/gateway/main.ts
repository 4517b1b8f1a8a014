import { loadConfigOrExit } from '../config.js';
import { appDbOptions, createDb } from '../db/connection.js';
import { createLogger } from '../logger.js';
import { createPlatformMetrics } from '../metrics/platform.js';
import { startMetricsServer } from '../metrics/server.js';
import { createTemporalClient } from '../temporal/connection.js';
import { createApp } from './app.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'gateway');
const db = createDb(config.DATABASE_URL, appDbOptions(config));
const temporal = createTemporalClient(config);
const metrics = createPlatformMetrics({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
const app = createApp({ config, db, temporal, log, metrics });
const metricsServer = config.METRICS_PORT
  ? startMetricsServer(metrics.registry, config.METRICS_PORT, (error) => log.warn({ err: error }, 'metrics scrape failed'))
  : undefined;
if (metricsServer) log.info({ port: config.METRICS_PORT }, 'metrics listening');

const server = app.listen(config.PORT, () => {
  log.info({ port: config.PORT }, 'gateway listening');
});

async function shutdown(): Promise<void> {
  server.close();
  metricsServer?.close();
  await temporal.connection.close().catch(() => undefined);
  await db.destroy();
  log.info('gateway stopped');
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void shutdown().then(() => process.exit(0));
  });
}
