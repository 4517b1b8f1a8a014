/**
 * A worker process that dies mid-credit: the credit resumes on a new worker soon after it starts (the activity
 * heartbeats, so Temporal notices the dead worker after 10 s, and the first retry comes 2 s later), and it is
 * applied exactly once. The new worker also exports the Temporal SDK's metrics on WORKER_METRICS_PORT.
 * Real Temporal, PostgreSQL and stripe-mock; the workers are real `src/worker/main.ts` processes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnProcess, type ManagedProcess } from '../../src/devstack/processes.js';
import { findFreePort } from '../../src/devstack/ports.js';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { topUpWorkflowId } from '../../src/temporal/workflow-ids.js';
import { api, createTestApp, FRONTEND_ORIGIN, waitFor, type TestApp } from '../helpers/app-context.js';
import { getStack } from '../helpers/stack.js';
import { checkoutSessionEvent, deliverStripeEvent } from '../helpers/stripe-events.js';

let app: TestApp;
const workers: ManagedProcess[] = [];

beforeAll(async () => {
  app = await createTestApp();
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await app?.close();
});

async function startWorkerProcess(metricsPort: number): Promise<ManagedProcess> {
  const stack = getStack();
  const worker = spawnProcess({
    name: 'worker',
    command: process.execPath,
    args: ['--import', 'tsx', 'src/worker/main.ts'],
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...stack.env,
      DATABASE_URL: app.config.DATABASE_URL,
      TEMPORAL_TASK_QUEUE: app.config.TEMPORAL_TASK_QUEUE,
      ...(stack.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath } : {}),
      WORKER_METRICS_PORT: String(metricsPort),
      STRIPE_EVENT_SWEEP_INTERVAL_MINUTES: '0',
      LOG_LEVEL: 'warn',
    },
    output: 'quiet',
  });
  workers.push(worker);
  await waitFor(async () => {
    const { pollers } = await app.temporal.workflowService.describeTaskQueue({
      namespace: app.config.TEMPORAL_NAMESPACE,
      taskQueue: { name: app.config.TEMPORAL_TASK_QUEUE },
      taskQueueType: 2, // activity pollers
    });
    return worker.isRunning() && (pollers ?? []).length > 0 ? true : undefined;
  }, 'the worker process to poll');
  return worker;
}

describe('a worker crash mid-credit (real worker processes)', () => {
  it('resumes the credit on a new worker and applies it once; the worker exports SDK metrics', async () => {
    const first = await startWorkerProcess(await findFreePort());
    const created = await api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount: 900, currency: 'usd' }, headers: { origin: FRONTEND_ORIGIN } });
    expect(created.status).toBe(201);
    const topUp = created.body;

    // Hold the top-up's row so the credit blocks inside its transaction, then kill the worker running it.
    const owner = new pg.Client({ connectionString: app.ownerUrl });
    await owner.connect();
    await owner.query('begin');
    await owner.query('select id from top_ups where id = $1 for update', [topUp.id]);
    const event = checkoutSessionEvent('checkout.session.completed', { id: topUp.checkout_session_id, tenantId: 't1', topUpId: topUp.id, amountTotal: 900, currency: 'usd' });
    await deliverStripeEvent(app, event);
    const handle = app.temporal.workflow.getHandle(topUpWorkflowId('t1', topUp.id));
    await waitFor(async () => {
      const { raw } = await handle.describe();
      return raw.pendingActivities?.some((activity) => activity.activityType?.name === 'creditTopUp' && activity.state === 2) ? true : undefined; // STARTED
    }, 'the credit to be running');
    process.kill(-first.pid, 'SIGKILL');
    await first.exited;
    await owner.query('rollback');
    await owner.end();

    const metricsPort = await findFreePort();
    await startWorkerProcess(metricsPort);
    const restartedAt = Date.now();
    await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/credits/top-ups/${topUp.id}`, { key: app.keys.t1Admin });
      return response.body.status === 'credited' ? true : undefined;
    }, 'the credit to resume on the new worker', 90_000);
    // Measured, not asserted: the figure goes to the test output and the README.
    console.log(`[worker-crash] credit resumed ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the new worker started`);

    const ledger = await api(app, 'GET', '/v1/credits/ledger', { key: app.keys.t1Admin });
    expect(ledger.body.data.map((entry: { kind: string; amount: number }) => [entry.kind, entry.amount])).toEqual([['top_up', 900]]);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // The alert rules (docker/prometheus/alerts.yml) use this one.
    expect(metrics).toContain('temporal_activity_schedule_to_start_latency_bucket');
    expect(metrics).toContain(`task_queue="${app.config.TEMPORAL_TASK_QUEUE}"`);
  });
});
