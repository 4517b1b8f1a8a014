/**
 * The worker under test, in its own process (forked by worker-process.ts) as in a deployment: the product's
 * createWorker with createActivities(deps), bundling the product's workflows plus the baseline's (workflows.ts), and
 * the baseline's activity beside the product's. Protocol over IPC:
 *   parent → { type: 'start', env }   child → { type: 'ready' } | { type: 'error', message }
 *   parent → { type: 'stop' }         child exits after the worker shut down.
 */
import { createRequire } from 'node:module';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { loadConfig } from '../../src/config.js';
import { appDbOptions, createDb, type Db } from '../../src/db/connection.js';
import { connectionOptions } from '../../src/temporal/connection.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { createActivityDeps } from '../../src/worker/deps.js';
import { createBenchCreditActivities } from './credit-activity.js';

export type WorkerParentMessage = { type: 'start'; env: Record<string, string> } | { type: 'stop' };
export type WorkerChildMessage = { type: 'ready' } | { type: 'error'; message: string };

const require = createRequire(import.meta.url);
const send = (message: WorkerChildMessage) => process.send?.(message);
const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

let worker: Worker | undefined;
let running: Promise<void> | undefined;
let cleanup: (() => Promise<void>) | undefined;

async function start(env: Record<string, string>): Promise<void> {
  const config = loadConfig(env);
  // The SDK's warnings (a slow workflow task, a failed poll) still show; its per-state INFO lines would drown the bench output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const db: Db = createDb(config.DATABASE_URL, appDbOptions(config));
  const connection = await NativeConnection.connect(connectionOptions(config));
  const deps = createActivityDeps(config, db, connection);
  cleanup = async () => {
    deps.close();
    await connection.close();
    await db.destroy();
  };
  worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps,
    overrides: {
      workflowsPath: require.resolve('./workflows.ts'),
      activities: { ...createActivities(deps), ...createBenchCreditActivities(db) },
    },
  });
  running = worker.run();
  running.catch((error: unknown) => process.stderr.write(`[bench worker] worker failed: ${describe(error)}\n`));
}

let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await cleanup?.();
  })());

process.on('message', (message: WorkerParentMessage) => {
  if (message.type === 'start') {
    start(message.env).then(
      () => send({ type: 'ready' }),
      (error: unknown) => send({ type: 'error', message: describe(error) }),
    );
  } else if (message.type === 'stop') {
    void stop().finally(() => process.exit(0));
  }
});
// Never outlive the parent.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
