import { loadConfigOrExit } from '../config.js';
import { appDbOptions, createDb } from '../db/connection.js';
import { createLogger } from '../logger.js';
import { createTemporalClient } from '../temporal/connection.js';
import { createApp } from './app.js';

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL, 'gateway');
const db = createDb(config.DATABASE_URL, appDbOptions(config));
const temporal = createTemporalClient(config);
const app = createApp({ config, db, temporal, log });

const server = app.listen(config.PORT, () => {
  log.info({ port: config.PORT }, 'gateway listening');
});

async function shutdown(): Promise<void> {
  server.close();
  await temporal.connection.close().catch(() => undefined);
  await db.destroy();
  log.info('gateway stopped');
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void shutdown().then(() => process.exit(0));
  });
}
