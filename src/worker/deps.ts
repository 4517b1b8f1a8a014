import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';
import { createMessenger } from '../messaging/messenger.js';
import { createStripeClient } from '../stripe/client.js';
import { temporalDataConverter } from '../temporal/codec/index.js';
import { retryScheduleFromConfig } from '../temporal/retry.js';

/** Everything activities need, built once per worker from configuration. */
export function createActivityDeps(config: Config, db: Db, connection: NativeConnection, log?: Logger): ActivityDeps & { temporal: Client; close(): void } {
  const messaging = createMessenger({ db, config, log });
  return {
    db,
    stripe: createStripeClient(config),
    // The worker's own connection doubles as a client for activities that start or signal workflows. createWorker
    // gives the worker this client's data converter, so both encrypt payloads with TEMPORAL_PAYLOAD_KEYS.
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) }),
    messaging,
    retry: retryScheduleFromConfig(config),
    ...(log ? { log } : {}),
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ...(config.FRONTEND_BASE_URL ? { frontendBaseUrl: config.FRONTEND_BASE_URL } : {}),
    close: () => messaging.close(),
  };
}
