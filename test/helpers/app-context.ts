import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiKey } from '../../src/db/api-keys.js';
import { appDbOptions, createDb, type CreateDbOptions, type Db } from '../../src/db/connection.js';
import { migrateDb } from '../../src/db/migrate.js';
import { grantApplicationRole } from '../../src/db/roles.js';
import { roleUrl } from '../../src/devstack/postgres.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { createApp } from '../../src/gateway/app.js';
import { createLogger } from '../../src/logger.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { createActivityDeps } from '../../src/worker/deps.js';
import { createPlatformMetrics, type PlatformMetrics } from '../../src/metrics/platform.js';
import { createTemporalClient } from '../../src/temporal/connection.js';
import { getStack } from './stack.js';

export const FRONTEND_ORIGIN = 'http://app.test';

try {
  Runtime.install({ logger: new DefaultLogger(process.env.TEST_APP_LOGS ? 'INFO' : 'WARN') });
} catch {
  // Already installed in this process by an earlier test file.
}

/**
 * A fresh, migrated database per test file, so files never see each other's rows. Least privilege as in
 * production: the database is owned by the owner role, migrated as it, and the application role is granted its
 * privileges (src/db/roles.ts). `url`/`db` are the application role's (what the gateway and worker use);
 * `ownerUrl` is for the rare test that needs the owner's powers (connect with createDb(ownerUrl) explicitly).
 */
export async function createTestDatabase(options: CreateDbOptions = {}): Promise<{ url: string; db: Db; ownerUrl: string }> {
  const stack = getStack();
  const { owner, app } = stack.postgresRoles;
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: stack.postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} owner ${admin.escapeIdentifier(owner.name)}`);
  } finally {
    await admin.end();
  }
  const ownerUrl = roleUrl(stack.postgresAdminUrl, owner, name);
  const url = roleUrl(stack.postgresAdminUrl, app, name);
  const ownerDb = createDb(ownerUrl, { max: 1, statementTimeoutMs: 0 });
  try {
    await migrateDb(ownerDb);
    await grantApplicationRole(ownerDb, app.name);
  } finally {
    await ownerDb.destroy();
  }
  return { url, db: createDb(url, options), ownerUrl };
}

export interface TestApp {
  config: Config;
  /** Connected as the application role, like the gateway and the worker. */
  db: Db;
  /** The test database as its owner role (migrations' powers), for tests that must bypass the app's privileges. */
  ownerUrl: string;
  baseUrl: string;
  temporal: Client;
  keys: { t1Admin: string; t1Member: string; t2Admin: string };
  /** The gateway's metrics (what METRICS_PORT serves). */
  metrics: PlatformMetrics;
  /** Starts a worker on this app's task queue; stopped by close(). */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * Where the gateway's and the worker's pino lines go (LOG_LEVEL then defaults to info instead of silent);
   * without it the worker gets no logger, as before.
   */
  logDestination?: DestinationStream;
}

/**
 * One app with a running worker for a test file: created before its tests, closed after them. `assign` receives
 * it (keep it in a `let app: TestApp`).
 */
export function useTestApp(assign: (app: TestApp) => void, overrides: Record<string, string> = {}): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await createTestApp(overrides);
    await app.startWorker();
    assign(app);
  });
  afterAll(async () => {
    await app?.close();
  });
}

export async function createTestApp(overrides: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const stack = getStack();
  const { url, ownerUrl, db: setupDb } = await createTestDatabase();
  await setupDb.destroy(); // unused: the app's pool gets the configured timeouts below
  const config = loadConfig({
    ...stack.env,
    DATABASE_URL: url,
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(6).toString('hex')}`,
    ALLOWED_FRONTEND_ORIGINS: FRONTEND_ORIGIN,
    ACTIVITY_RETRY_BACKOFF: '1s,2s,5s',
    LOG_LEVEL: process.env.TEST_APP_LOGS ? 'debug' : options.logDestination ? 'info' : 'silent',
    ...overrides,
  });
  const db = createDb(config.DATABASE_URL, appDbOptions(config));
  await ensureTenant(db, { id: 't1', name: 'Tenant one' });
  await ensureTenant(db, { id: 't2', name: 'Tenant two' });
  const keys = {
    t1Admin: (await createApiKey(db, { tenantId: 't1', name: 'test admin', role: 'admin' })).key,
    t1Member: (await createApiKey(db, { tenantId: 't1', name: 'test member', role: 'member' })).key,
    t2Admin: (await createApiKey(db, { tenantId: 't2', name: 'test admin', role: 'admin' })).key,
  };

  const log = createLogger(config.LOG_LEVEL, 'payments', options.logDestination);
  const temporal = createTemporalClient(config);
  const metrics = createPlatformMetrics({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
  const connection = temporal.connection;
  const server: Server = await new Promise((resolve) => {
    const listening = createApp({ config, db, temporal, log, metrics }).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let running: { worker: Worker; run: Promise<void>; connection: NativeConnection; closeDeps: () => void } | undefined;

  async function startWorker(): Promise<void> {
    const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const workerLog = options.logDestination ? createLogger(config.LOG_LEVEL, 'worker', options.logDestination) : undefined;
    const deps = createActivityDeps(config, db, nativeConnection, workerLog);
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps,
      workflowBundlePath: stack.workflowBundlePath ?? undefined,
    });
    running = { worker, run: worker.run(), connection: nativeConnection, closeDeps: deps.close };
  }

  async function stopWorker(): Promise<void> {
    if (!running) return;
    const { worker, run, connection: nativeConnection, closeDeps } = running;
    running = undefined;
    worker.shutdown();
    await run;
    closeDeps();
    await nativeConnection.close();
  }

  return {
    config,
    db,
    ownerUrl,
    baseUrl,
    temporal,
    keys,
    metrics,
    startWorker,
    stopWorker,
    async close() {
      await stopWorker();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await db.destroy();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = any>(
  app: Pick<TestApp, 'baseUrl'>,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${app.baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
