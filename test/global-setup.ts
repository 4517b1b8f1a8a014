/**
 * Runs once per `vitest run`, in the main process: resolves (installing into .tools/ if needed) the
 * Temporal CLI, the Temporal test server and stripe-mock; starts an ephemeral PostgreSQL, a headless
 * Temporal dev server with our search attributes, stripe-mock, a mail catcher and Prism (Twilio API mock); pre-bundles the
 * workflow code; and hands all of it to tests as `inject('stack')` (see test/helpers/stack.ts).
 *
 * Set TEST_STACK_LOGS=1 to see the servers' output.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMailViewer } from '../src/devstack/mail.js';
import { DEV_APP_ROLE, DEV_OWNER_ROLE, ensureDatabaseRoles, startEmbeddedPostgres } from '../src/devstack/postgres.js';
import type { Output } from '../src/devstack/processes.js';
import { startStripeMock, stripeMockEnv } from '../src/devstack/stripe-mock.js';
import { startTwilioMock } from '../src/devstack/prism.js';
import { startTemporalDevServer } from '../src/devstack/temporal.js';
import { PROJECT_ROOT, resolveTool } from '../src/tools/resolve.js';
import type { StackInfo } from './helpers/stack.js';

const TEST_STRIPE_SECRET_KEY = 'sk_test_123';
const TEST_WEBHOOK_SECRET = 'whsec_test_0123456789abcdef0123456789abcdef';
const STRIPE_API_VERSION = '2026-10-28.endive';
const TEST_TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const TEST_TWILIO_AUTH_TOKEN = 'test_twilio_auth_token_0123456789';
const TEST_TWILIO_FROM_NUMBER = '+15005550006';
/** Fixed payload encryption key (TEMPORAL_PAYLOAD_KEYS) of the test stack: 32 bytes of 0x01, never used elsewhere. */
const TEST_PAYLOAD_KEYS = `test-1:${Buffer.alloc(32, 1).toString('base64')}`;

const log = (msg: string) => process.stderr.write(`[test-stack] ${msg}\n`);

async function bundleWorkflows(dir: string): Promise<string | null> {
  const workflowsPath = path.join(PROJECT_ROOT, 'workflows', 'index.ts');
  if (!existsSync(workflowsPath)) {
    log('workflows/index.ts not found; skipping workflow bundle');
    return null;
  }
  const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  const codePath = path.join(dir, 'workflow-bundle.js');
  await writeFile(codePath, code);
  return codePath;
}

/** Like Promise.all, but waits for every promise, so servers that did start get registered for teardown. */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    throw new AggregateError(failed.map((r) => r.reason as unknown), failed.map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason))).join('\n'));
  }
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const output: Output = process.env.TEST_STACK_LOGS ? 'inherit' : 'quiet';
  const stops: Array<() => Promise<void>> = [];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'payments-test-'));

  const track = <T extends { stop(): Promise<void> }>(server: T): T => {
    stops.push(server.stop);
    return server;
  };
  const teardown = async () => {
    const results = await Promise.allSettled(stops.splice(0).reverse().map((stop) => stop()));
    for (const r of results) if (r.status === 'rejected') log(`teardown error: ${String(r.reason)}`);
    await rm(tmp, { recursive: true, force: true });
  };

  try {
    // Sequential: installs share one lock and pip/go would fight over 2 cores anyway.
    const tools = {
      temporal: await resolveTool('temporal', { install: true, log }),
      temporalTestServer: await resolveTool('temporal-test-server', { install: true, log }),
      stripeMock: await resolveTool('stripe-mock', { install: true, log }),
    };

    const [pg, temporal, stripe, mail, twilioMock, workflowBundlePath] = await settleAll([
      startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres'), persistent: false, output, log }).then(track),
      startTemporalDevServer({ headless: true, executable: tools.temporal, output, log }).then(track),
      startStripeMock({ executable: tools.stripeMock, output, log }).then(track),
      startMailViewer({ dir: path.join(tmp, 'mail'), log: () => undefined }).then(track),
      startTwilioMock({ output }).then(track),
      bundleWorkflows(tmp),
    ]);
    // Once per cluster: createTestDatabase() makes each test database owned by the owner role, the app uses the other.
    await ensureDatabaseRoles(pg.adminUrl, [DEV_OWNER_ROLE, DEV_APP_ROLE]);

    const env: Record<string, string> = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      STRIPE_SECRET_KEY: TEST_STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      STRIPE_API_VERSION,
      ...stripeMockEnv(stripe),
      SMTP_URL: mail.smtpUrl,
      TWILIO_API_BASE_URL: twilioMock.baseUrl,
      TWILIO_ACCOUNT_SID: TEST_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: TEST_TWILIO_FROM_NUMBER,
      ...(workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: workflowBundlePath } : {}),
    };
    const stack: StackInfo = {
      databaseUrl: pg.url,
      postgresAdminUrl: pg.adminUrl,
      postgresRoles: { owner: DEV_OWNER_ROLE, app: DEV_APP_ROLE },
      temporalAddress: temporal.address,
      temporalNamespace: temporal.namespace,
      stripe: {
        host: stripe.host,
        port: stripe.port,
        protocol: stripe.protocol,
        url: stripe.url,
        secretKey: TEST_STRIPE_SECRET_KEY,
        webhookSecret: TEST_WEBHOOK_SECRET,
        apiVersion: STRIPE_API_VERSION,
      },
      smtpUrl: mail.smtpUrl,
      mailApiUrl: `${mail.webUrl}/api/messages`,
      twilioApiUrl: twilioMock.baseUrl,
      tools,
      workflowBundlePath,
      env,
    };
    project.provide('stack', stack);
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s: postgres :${pg.port}, temporal ${temporal.address}, stripe-mock :${stripe.port}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
