/**
 * Group `open` (issue 16 part 5): open-workflow scale. N invoice workflows (BENCH_OPEN_WORKFLOWS, default 10,000)
 * are opened the way production opens them (invoice.finalized → signalWithStart, bench/open/invoice-events.ts) on
 * one worker process whose cache holds them all, and each records its invoice and parks on its due-date timer.
 * Baseline, in the same run: the same number of empty-loop workflows (bench/open/empty-loop-workflow.ts: a
 * signal handler and a long timer, nothing else) on another worker process with the same bundle and activities.
 * A third worker runs the empty loop bundled alone: the SDK's floor, since the SDK evaluates every module of the
 * bundle once per workflow run, and that share of the cost belongs to the bundle, not to any workflow.
 *
 * Rows: start rate (started until all parked), worker RSS per 1,000 parked workflows (marginal, after a warm-up
 * batch), and an event's send → effect time (invoice.updated until its row is written) for invoices in the cache
 * against invoices evicted from it (the worker replaced by a fresh process, so each replays its history first).
 * All ratios are informational: what a deployment sizes from, not a pass/fail.
 *
 * Env: BENCH_OPEN_WORKFLOWS (10000), BENCH_OPEN_SAMPLES (20 events per side), BENCH_OPEN_CONCURRENCY (50
 * signalWithStart calls in flight).
 */
import { benchAppEnv } from '../app-env.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { loadConfig } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/connection.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { createTemporalClient } from '../../src/temporal/connection.js';
import { retryScheduleFromConfig } from '../../src/temporal/retry.js';
import { invoiceWorkflowId } from '../../src/temporal/workflow-ids.js';
import { invoiceStateQuery } from '../../workflows/invoice/messages.js';
import { numberFromEnv, type GroupContext, type GroupRunner } from '../group.js';
import type { Row } from '../report.js';
import { startBenchStack } from '../stack.js';
import { bundleBenchWorkflows, type BenchBundle } from '../open/bundle.js';
import { EMPTY_LOOP_WORKFLOW_TYPE, pokeSignal } from '../open/empty-loop-workflow.js';
import { percentile } from '../open/event-latency.js';
import { benchInvoiceId, sendInvoiceFinalized, type InvoiceTarget } from '../open/invoice-events.js';
import { openRows, openTable, type OpenResults } from '../open/report.js';
import { measureParking, type ParkingResult } from '../open/parking.js';
import { measureReplay } from '../open/replay-phase.js';
import { startBenchWorker, type BenchWorker } from '../open/worker-handle.js';

const settings = {
  workflows: numberFromEnv('BENCH_OPEN_WORKFLOWS', 10_000, 1),
  samples: numberFromEnv('BENCH_OPEN_SAMPLES', 20, 1),
  concurrency: numberFromEnv('BENCH_OPEN_CONCURRENCY', 50, 1),
};

/** Unmeasured first batch per worker: pool connections, JIT and first activations are not the workflows' cost. */
const warmupCount = (n: number) => Math.min(100, Math.max(10, Math.ceil(n / 10)));
/** Generous: on two cores shared with other work a batch has parked as slowly as 3 workflows/s. */
const parkTimeoutMs = (n: number) => 120_000 + n * 300;

interface Run {
  bundles: Record<BenchBundle, string>;
  env: Record<string, string>;
  client: Client;
  db: Db;
  tag: string;
  log: (msg: string) => void;
}

function workerFor(run: Run, name: string, bundle: BenchBundle, taskQueue: string, cached: number): Promise<BenchWorker> {
  return startBenchWorker({ name, env: { ...run.env, TEMPORAL_TASK_QUEUE: taskQueue }, bundlePath: run.bundles[bundle], maxCachedWorkflows: cached });
}

async function emptyLoopPhase(run: Run, warmup: number, bundle: BenchBundle): Promise<ParkingResult> {
  const taskQueue = `bench-open-empty-${bundle}-${run.tag}`;
  const what = `empty-loop (${bundle} bundle)`;
  const worker = await workerFor(run, what, bundle, taskQueue, warmup + settings.workflows + 100);
  try {
    return await measureParking({
      what,
      worker,
      warmup,
      count: settings.workflows,
      concurrency: settings.concurrency,
      start: async (index) => {
        await run.client.workflow.signalWithStart(EMPTY_LOOP_WORKFLOW_TYPE, { workflowId: `bench-open-empty:${bundle}:${run.tag}:${index}`, taskQueue, signal: pokeSignal, signalArgs: [] });
      },
      // Cached with no activation in flight: its first task is done and it waits on its condition.
      parked: async (expected, status) => status.cachedWorkflows >= expected,
      timeoutMs: parkTimeoutMs(settings.workflows),
      log: run.log,
    });
  } finally {
    await worker.stop();
  }
}

/** A sample's state and history show it waiting on its due-date timer (a check, not a measurement). */
async function parkedOnTimer(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistory> {
  const handle = client.workflow.getHandle(workflowId);
  const state = await handle.query(invoiceStateQuery);
  const history = await handle.fetchHistory();
  const timerStarted = history.events?.some((event) => event.timerStartedEventAttributes) ?? false;
  if (state.status !== 'pending' || state.dueDateReached || !timerStarted) {
    throw new Error(`${workflowId} is not waiting on its due-date timer: status ${state.status}, timer started ${timerStarted}`);
  }
  return history;
}

async function invoicePhase(run: Run, warmup: number): Promise<Pick<OpenResults, 'invoice' | 'cachedMs' | 'evictedMs' | 'historyEvents'>> {
  const taskQueue = `bench-open-invoice-${run.tag}`;
  const cacheSize = warmup + settings.workflows + 100;
  const config = loadConfig({ ...run.env, TEMPORAL_TASK_QUEUE: taskQueue });
  const tenantId = `bench-open-${run.tag}`;
  await ensureTenant(run.db, { id: tenantId, name: 'Bench tenant (open workflows)' });
  const target: InvoiceTarget = { client: run.client, taskQueue, retry: retryScheduleFromConfig(config), tenantId, finalizedAt: Math.floor(Date.now() / 1000) };
  let worker = await workerFor(run, 'invoice', 'production', taskQueue, cacheSize);
  try {
    const invoice = await measureParking({
      what: 'invoice',
      worker,
      warmup,
      count: settings.workflows,
      concurrency: settings.concurrency,
      start: (index) => sendInvoiceFinalized(target, benchInvoiceId(run.tag, index), index),
      // The search attributes are upserted in the same workflow task that starts the due-date timer.
      parked: async (expected) => (await run.client.workflow.count(`TenantId = '${tenantId}' AND InvoiceStatus = 'pending'`)).count >= expected,
      timeoutMs: parkTimeoutMs(settings.workflows),
      log: run.log,
    });
    const history = await parkedOnTimer(run.client, invoiceWorkflowId(tenantId, benchInvoiceId(run.tag, 0)));
    const replay = await measureReplay({
      target,
      db: run.db,
      runTag: run.tag,
      indices: { from: warmup, to: warmup + settings.workflows },
      samples: settings.samples,
      cachedWorker: worker,
      replaceWorker: async () => {
        await worker.stop();
        worker = await workerFor(run, 'invoice (restarted)', 'production', taskQueue, cacheSize);
        return worker;
      },
      log: run.log,
    });
    return { invoice, cachedMs: replay.cachedMs, evictedMs: replay.evictedMs, historyEvents: history.events?.length ?? 0 };
  } finally {
    await worker.stop();
  }
}

async function measure(run: Run): Promise<OpenResults> {
  const warmup = warmupCount(settings.workflows);
  run.log(`${settings.workflows} workflows per worker (+${warmup} warm-up), ${settings.concurrency} starts in flight, ${settings.samples} events per side`);
  const minimal = await emptyLoopPhase(run, warmup, 'minimal');
  const empty = await emptyLoopPhase(run, warmup, 'production');
  const invoice = await invoicePhase(run, warmup);
  return { workflows: settings.workflows, minimal, empty, ...invoice };
}

export const run: GroupRunner = async (ctx: GroupContext) => {
  const stack = await startBenchStack(ctx.log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-open-'));
  const tag = `${ctx.started.getTime()}-${randomBytes(3).toString('hex')}`;
  const env = benchAppEnv({
    databaseUrl: stack.databaseUrl,
    temporalAddress: stack.temporalAddress,
    temporalNamespace: stack.temporalNamespace,
    taskQueue: `bench-open-${tag}`,
    logLevel: 'warn',
  });
  const config = loadConfig(env);
  const client = createTemporalClient(config);
  const db = createDb(stack.databaseUrl);
  try {
    ctx.log('bundling the workflows');
    const bundles = { production: await bundleBenchWorkflows(tmp, 'production'), minimal: await bundleBenchWorkflows(tmp, 'minimal') };
    const results = await measure({ bundles, env, client, db, tag, log: ctx.log });
    ctx.log(`event → effect p50 ${percentile(results.cachedMs, 50).toFixed(1)} ms cached, ${percentile(results.evictedMs, 50).toFixed(1)} ms evicted`);
    const rows: Row[] = openRows(results);
    return { rows, table: openTable(results, rows) };
  } finally {
    await client.connection.close().catch((error: unknown) => ctx.log(`temporal client close: ${String(error)}`));
    await db.destroy();
    await stack.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};
