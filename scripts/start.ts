/**
 * `npm start`: the whole system on one machine, with nothing preinstalled but Node (and pip/go the first
 * time, for the Temporal CLI and stripe-mock; see src/tools/resolve.ts).
 *
 * Everything that is not configured is started locally:
 *   DATABASE_URL unset      → embedded PostgreSQL, data in .data/postgres (kept between runs); migrations run as
 *                             role payments_owner, gateway and worker connect as payments_app
 *   TEMPORAL_ADDRESS unset  → Temporal dev server + Web UI, state in .data/temporal.db (kept between runs)
 *   STRIPE_SECRET_KEY unset → stripe-mock (fake Stripe API), with a dev publishable key (pk_test_...)
 *   SMTP_URL unset          → local mail catcher with a web UI, messages in .data/mail
 *   TEMPORAL_PAYLOAD_KEYS unset → a generated payload encryption key, kept in .data/temporal-payload-keys
 * Then migrations run, the worker and the gateway start (PORT: the first free one from 4000), and the URLs + the
 * dev API key (kept in .data/dev-api-key, reused across restarts) are printed. While the stack runs, the settings it
 * computed are in .data/dev.env, which `npm run api-key:create` reads (src/devstack/dev-env.ts).
 * Ctrl-C stops everything. Variables can also come from a .env file (real env vars win).
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { DEV_API_KEY_FILE_NAME, DEV_ENV_FILE_NAME, ensureDevApiKey, removeDevEnvFile, writeDevEnvFile } from '../src/devstack/dev-env.js';
import { startMailViewer } from '../src/devstack/mail.js';
import { findFreePort, pollUntil } from '../src/devstack/ports.js';
import { DEV_APP_ROLE, DEV_OWNER_ROLE, ensureDatabaseRoles, ensureOwnedDatabase, roleUrl, startEmbeddedPostgres } from '../src/devstack/postgres.js';
import { onShutdownSignal, raceWithExit, spawnProcess } from '../src/devstack/processes.js';
import { supervise, type Supervised } from '../src/devstack/supervisor.js';
import { startStripeMock, stripeMockEnv } from '../src/devstack/stripe-mock.js';
import { startTemporalDevServer } from '../src/devstack/temporal.js';
import { ensureDevPayloadKeyRing } from '../src/temporal/codec/dev-key.js';
import { connectionOptions } from '../src/temporal/connection.js';
import { PROJECT_ROOT } from '../src/tools/resolve.js';

/** Fixed so that test webhooks can be signed with it across restarts; never used outside development. */
const DEV_WEBHOOK_SECRET = 'whsec_dev_0123456789abcdef0123456789abcdef';
// stripe-mock accepts only keys that look real: sk_test_ followed by letters and digits.
const DEV_STRIPE_SECRET_KEY = 'sk_test_devStripeMock000';
/** For GET /v1/payments/config (Stripe.js/Elements against stripe-mock): the same shape, pk_test_ + letters and digits. */
const DEV_STRIPE_PUBLISHABLE_KEY = 'pk_test_devStripeMock000';
/** The gateway's first choice of port; 3000 is left to the first default frontend origin. */
const DEFAULT_GATEWAY_PORT = 4000;
const DEFAULT_STRIPE_API_VERSION = '2026-10-28.endive';

const DATA_DIR = path.join(PROJECT_ROOT, '.data');
/** The dev tools' own output (one file per tool); the console keeps only our lines. */
const LOG_DIR = path.join(DATA_DIR, 'logs');
const toolLog = (tool: string) => path.join(LOG_DIR, `${tool}.log`);
const DEV_ENV_FILE = path.join(DATA_DIR, DEV_ENV_FILE_NAME);
const DEV_API_KEY_FILE = path.join(DATA_DIR, DEV_API_KEY_FILE_NAME);
/** For in-process tools (the mail viewer): their lines, which name recipients, go to the file too. */
const fileLog = (tool: string) => (msg: string) => {
  mkdirSync(LOG_DIR, { recursive: true });
  appendFileSync(toolLog(tool), `${new Date().toISOString()} ${msg}\n`);
};
const log = (msg: string) => process.stderr.write(`[start] ${msg}\n`);
const unset = (name: string) => (process.env[name] ?? '').trim() === '';
/** A URL from the user's environment is shown without its password (ours are dev-only and printed as they are). */
const maskPassword = (url: string) => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
};

const envFile = path.join(PROJECT_ROOT, '.env');
if (existsSync(envFile)) {
  process.loadEnvFile(envFile); // does not override variables already in the environment
  log(`loaded ${path.relative(process.cwd(), envFile) || '.env'}`);
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}
/** Application processes (stopped first) and infrastructure (stopped after). */
const apps: Stoppable[] = [];
const infra: Stoppable[] = [];
let shuttingDown = false;
/** Set once the banner is printed: from then on crashed app processes are restarted instead of failing startup. */
let started = false;
let inFlight: Promise<unknown> = Promise.resolve();

/** Runs a startup step so that a Ctrl-C during it waits for it, then stops what it started. */
function step<T>(promise: Promise<T>): Promise<T> {
  inFlight = promise.catch(() => undefined);
  return promise;
}

async function stopAll(): Promise<void> {
  shuttingDown = true;
  await inFlight;
  const stopGroup = (items: Stoppable[]) =>
    Promise.all(
      items.splice(0).map((item) =>
        item.stop().catch((error: unknown) => log(`stopping ${item.name} failed: ${error instanceof Error ? error.message : String(error)}`)),
      ),
    );
  await stopGroup(apps);
  await stopGroup(infra);
  await removeDevEnvFile(DEV_ENV_FILE).catch(() => undefined);
  log('all stopped');
}

onShutdownSignal(async () => {
  await stopAll();
});

function abortIfShuttingDown(): void {
  if (shuttingDown) throw new Error('shutting down');
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.NODE_ENV ??= 'development';
  const urls: Array<[string, string]> = [];

  // ---- infrastructure (independent, started in parallel) ----
  const tasks: Array<Promise<void>> = [];
  // Known before Temporal starts: its Web UI is pointed at the gateway's payload codec endpoint.
  if (unset('PORT')) env.PORT = String(await findFreePort(DEFAULT_GATEWAY_PORT));
  const codecEndpoint = `http://localhost:${env.PORT}/codec`;

  if (unset('DATABASE_URL')) {
    tasks.push(
      startEmbeddedPostgres({ dataDir: path.join(DATA_DIR, 'postgres'), port: 54329, persistent: true, logFile: toolLog('postgres') }).then(async (pg) => {
        infra.push({ name: 'postgres', stop: pg.stop });
        // Least privilege as in production: migrations as the owner role, gateway and worker as the app role.
        await ensureDatabaseRoles(pg.adminUrl);
        await ensureOwnedDatabase(pg.adminUrl, 'payments', DEV_OWNER_ROLE.name);
        env.DATABASE_URL = roleUrl(pg.url, DEV_APP_ROLE);
        env.DATABASE_MIGRATION_URL = roleUrl(pg.url, DEV_OWNER_ROLE);
        env.DATABASE_APP_ROLE = DEV_APP_ROLE.name;
        log(`PostgreSQL ready on port ${pg.port} (data: .data/postgres; roles ${DEV_OWNER_ROLE.name} and ${DEV_APP_ROLE.name})`);
      }),
    );
  } else log('using DATABASE_URL from the environment');

  if (unset('TEMPORAL_ADDRESS')) {
    tasks.push(
      startTemporalDevServer({
        port: 7233,
        uiPort: 8233,
        dbFile: path.join(DATA_DIR, 'temporal.db'),
        namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
        logFile: toolLog('temporal'),
        uiCodecEndpoint: codecEndpoint,
      }).then((temporal) => {
        infra.push({ name: 'temporal', stop: temporal.stop });
        env.TEMPORAL_ADDRESS = temporal.address;
        if (temporal.uiUrl) {
          urls.push(['Temporal UI', temporal.uiUrl], ['Payload codec (UI, CLI)', `${codecEndpoint}  (admin API key or admin JWT)`]);
          // The UI calls the codec from the browser: allow its origin, under both names the UI answers to.
          if (unset('CODEC_ALLOWED_ORIGINS')) env.CODEC_ALLOWED_ORIGINS = `${temporal.uiUrl},http://localhost:${new URL(temporal.uiUrl).port}`;
        }
      }),
    );
  } else log(`using TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`);

  if (unset('STRIPE_SECRET_KEY')) {
    tasks.push(
      startStripeMock({ port: 12111, logFile: toolLog('stripe-mock') }).then((mock) => {
        infra.push({ name: 'stripe-mock', stop: mock.stop });
        Object.assign(env, stripeMockEnv(mock), { STRIPE_SECRET_KEY: DEV_STRIPE_SECRET_KEY });
        if (unset('STRIPE_PUBLISHABLE_KEY')) env.STRIPE_PUBLISHABLE_KEY = DEV_STRIPE_PUBLISHABLE_KEY;
        urls.push(['Stripe API (stripe-mock)', mock.url]);
      }),
    );
  } else log('STRIPE_SECRET_KEY is set: using the real Stripe API (stripe-mock not started)');

  if (unset('SMTP_URL')) {
    tasks.push(
      startMailViewer({ dir: path.join(DATA_DIR, 'mail'), smtpPort: 1025, webPort: 1080, log: fileLog('mail') }).then((mail) => {
        infra.push({ name: 'mail', stop: mail.stop });
        env.SMTP_URL = mail.smtpUrl;
        urls.push(['Mail viewer', mail.webUrl]);
      }),
    );
  }

  const results = await step(Promise.allSettled(tasks));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) throw new AggregateError(failures.map((f) => f.reason as unknown), failures.map((f) => String(f.reason instanceof Error ? f.reason.message : f.reason)).join('\n'));
  abortIfShuttingDown();

  // ---- configuration ----
  env.STRIPE_WEBHOOK_SECRET = env.STRIPE_WEBHOOK_SECRET?.trim() || DEV_WEBHOOK_SECRET;
  env.STRIPE_API_VERSION = env.STRIPE_API_VERSION?.trim() || DEFAULT_STRIPE_API_VERSION;
  if (unset('TEMPORAL_PAYLOAD_KEYS')) {
    // Workflow payloads are encrypted in development too; the key is generated once and kept with the dev data.
    const keyFile = path.join(DATA_DIR, 'temporal-payload-keys');
    const { keyRing, created } = await step(ensureDevPayloadKeyRing(keyFile));
    env.TEMPORAL_PAYLOAD_KEYS = keyRing;
    log(`${created ? 'generated' : 'using'} the dev payload encryption key in ${path.relative(process.cwd(), keyFile) || keyFile}`);
  }
  env.PUBLIC_BASE_URL = env.PUBLIC_BASE_URL?.trim() || `http://localhost:${env.PORT}`;
  // Typical local frontends (Next/CRA on 3000, Vite on 5173, 3001) may call the API (CORS) without extra setup.
  env.ALLOWED_FRONTEND_ORIGINS = env.ALLOWED_FRONTEND_ORIGINS?.trim() || 'http://localhost:3000,http://localhost:5173,http://localhost:3001';
  const config = loadConfig(env); // readable list of problems before anything else starts

  // ---- database ----
  log('running migrations');
  // Without DATABASE_MIGRATION_URL the app's own role migrates (single-role setup): nothing to grant.
  await step(migrateToLatest(config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL, config.DATABASE_MIGRATION_URL ? { appRole: config.DATABASE_APP_ROLE } : {}));
  const { tenantId, apiKey, reused } = await step(ensureDevApiKey(config.DATABASE_URL, DEV_API_KEY_FILE));
  log(`${reused ? 'reusing' : 'created'} the dev API key in ${path.relative(process.cwd(), DEV_API_KEY_FILE) || DEV_API_KEY_FILE}`);
  abortIfShuttingDown();

  // ---- application processes ----
  const spawnApp = (name: string, entry: string): Supervised => {
    const app = supervise({
      name,
      log,
      spawn: () =>
        spawnProcess({
          name,
          command: process.execPath,
          args: ['--import', 'tsx', path.join(PROJECT_ROOT, entry)],
          cwd: PROJECT_ROOT,
          env,
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 30_000,
        }),
    });
    apps.push({ name, stop: app.stop });
    // Until the stack is up, an exit is a startup failure (a bad setting would only crash again).
    void app.current().exited.then((info) => {
      if (shuttingDown || started) return;
      log(`${name} exited during startup (${info.signal ?? `code ${info.code}`}); stopping everything`);
      void stopAll().then(() => process.exit(1));
    });
    return app;
  };
  const workerApp = spawnApp('worker', 'src/worker/main.ts');
  const gatewayApp = spawnApp('gateway', 'src/gateway/main.ts');
  const worker = workerApp.current();
  const gateway = gatewayApp.current();
  const apiUrl = `http://localhost:${config.PORT}`;
  await step(
    raceWithExit(
      worker,
      raceWithExit(
        gateway,
        pollUntil(
          async () => {
            const res = await fetch(`http://127.0.0.1:${config.PORT}/readyz`);
            await res.arrayBuffer();
            return res.status === 200 ? true : undefined;
          },
          `gateway ${apiUrl}/readyz`,
          180_000,
          500,
        ),
      ),
    ),
  );
  abortIfShuttingDown();
  // The worker has no HTTP endpoint; it is ready once it polls its task queue.
  await step(
    raceWithExit(
      worker,
      pollUntil(
        async () => {
          const connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: 5000 });
          try {
            const { pollers } = await connection.workflowService.describeTaskQueue({
              namespace: config.TEMPORAL_NAMESPACE,
              taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
              taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
            });
            return pollers && pollers.length > 0 ? true : undefined;
          } finally {
            await connection.close();
          }
        },
        `worker polling task queue ${config.TEMPORAL_TASK_QUEUE}`,
        120_000,
        1000,
      ),
    ).catch((error: unknown) => {
      if (!worker.isRunning()) throw error;
      log(`warning: ${error instanceof Error ? error.message : String(error)}; continuing`);
    }),
  );
  abortIfShuttingDown();

  const rows: Array<[string, string]> = [
    ['API', apiUrl],
    ['API docs', `${apiUrl}/docs`],
    ...urls,
    ['Temporal', `${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE})`],
    ['DATABASE_URL', unset('DATABASE_URL') ? config.DATABASE_URL : maskPassword(config.DATABASE_URL)],
    ['Dev tenant', tenantId],
    ['Dev API key', `${apiKey}  (kept in .data/${DEV_API_KEY_FILE_NAME})`],
    ['Dev settings', `.data/${DEV_ENV_FILE_NAME}  (npm run api-key:create reads it)`],
    ['Tool logs', `${path.relative(process.cwd(), LOG_DIR) || LOG_DIR}/ (postgres, temporal, stripe-mock, mail)`],
    ['Webhook secret', `${config.STRIPE_WEBHOOK_SECRET.join(',')}${unset('STRIPE_WEBHOOK_SECRET') ? '  (dev default; sign test webhooks with it)' : ''}`],
  ];
  await step(writeDevEnvFile(DEV_ENV_FILE, env, process.env));
  // From here on a crashed worker or gateway is restarted with backoff; the rest of the stack keeps running.
  started = true;
  workerApp.restartOnExit();
  gatewayApp.restartOnExit();
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\n  Payments dev stack is up\n\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n\n  Press Ctrl-C to stop.\n\n`,
  );
}

main().catch(async (error: unknown) => {
  if (shuttingDown) return; // the signal handler owns the exit
  if (error instanceof ConfigError) log(error.message);
  else log(`startup failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
});
