/**
 * A bench worker in its own process, so its RSS is its own: the production activities (createActivityDeps) and a
 * pre-built workflow bundle, with a workflow cache large enough for every open workflow. Protocol over IPC:
 *   parent → { type: 'start', env, bundlePath, maxCachedWorkflows }  child → { type: 'ready' } | { type: 'error', message }
 *   parent → { type: 'status', collect }                            child → { type: 'status', ...WorkerSnapshot }
 *   parent → { type: 'stop' }                                       child shuts the worker down and exits
 * Started with --expose-gc: the main isolate is collected before memory is read (workflows run in a worker thread,
 * whose heap cannot be collected from here).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config.js';
import { appDbOptions, createDb } from '../../src/db/connection.js';
import { createLogger } from '../../src/logger.js';
import { connectionOptions } from '../../src/temporal/connection.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { createActivityDeps } from '../../src/worker/deps.js';
import { temporalRuntimeLogger } from '../../src/worker/runtime-logger.js';

export interface WorkerSnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  cachedWorkflows: number;
  inFlightActivations: number;
  inFlightActivities: number;
}

export type WorkerRequest =
  | { type: 'start'; env: Record<string, string>; bundlePath: string; maxCachedWorkflows: number }
  /** collect: garbage-collect and settle first (for a memory reading); without it, a cheap progress check. */
  | { type: 'status'; collect: boolean }
  | { type: 'stop' };
export type WorkerReply = { type: 'ready' } | { type: 'error'; message: string } | ({ type: 'status' } & WorkerSnapshot);

const send = (reply: WorkerReply) => process.send!(reply);
const gc = (globalThis as { gc?: () => void }).gc;

let running: { worker: Worker; done: Promise<void> } | undefined;
let stopping = false;

async function start(request: Extract<WorkerRequest, { type: 'start' }>): Promise<void> {
  const config = loadConfig(request.env);
  const log = createLogger(config.LOG_LEVEL, 'bench-worker');
  Runtime.install({ logger: temporalRuntimeLogger(log, config.LOG_LEVEL) });
  const db = createDb(config.DATABASE_URL, appDbOptions(config));
  const connection = await NativeConnection.connect(connectionOptions(config));
  const deps = createActivityDeps(config, db, connection, log);
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps,
    workflowBundlePath: request.bundlePath,
    overrides: { maxCachedWorkflows: request.maxCachedWorkflows },
  });
  const done = worker.run().finally(async () => {
    deps.close();
    await connection.close();
    await db.destroy();
  });
  running = { worker, done };
  done.catch((error: unknown) => {
    if (stopping) return;
    process.stderr.write(`[bench-worker] worker failed: ${message(error)}\n`);
    process.exit(1);
  });
}

async function snapshot(collect: boolean): Promise<WorkerSnapshot> {
  if (collect) {
    gc?.();
    await sleep(500);
  }
  const memory = process.memoryUsage();
  const status = running!.worker.getStatus();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cachedWorkflows: status.numCachedWorkflows,
    inFlightActivations: status.numInFlightWorkflowActivations,
    inFlightActivities: status.numInFlightActivities,
  };
}

const message = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

process.on('message', (request: WorkerRequest) => {
  if (request.type === 'start') {
    start(request).then(
      () => send({ type: 'ready' }),
      (error: unknown) => send({ type: 'error', message: message(error) }),
    );
  } else if (request.type === 'status') {
    snapshot(request.collect).then(
      (s) => send({ type: 'status', ...s }),
      (error: unknown) => send({ type: 'error', message: message(error) }),
    );
  } else {
    stopping = true;
    running?.worker.shutdown();
    void (running?.done ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[bench-worker] stopped with an error: ${message(error)}\n`);
        process.exit(1);
      },
    );
  }
});
