import { createRequire } from 'node:module';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.js';

const require = createRequire(import.meta.url);

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /**
   * Payload codecs etc.; default: the data converter of `deps.temporal` (createActivityDeps builds it with the
   * TEMPORAL_PAYLOAD_KEYS encryption codec), so the worker and its activities' client read and write the same payloads.
   */
  dataConverter?: DataConverter;
  /** Pre-bundled workflow code (tests, production images); otherwise workflows/ is bundled at start. */
  workflowBundlePath?: string;
  overrides?: Partial<WorkerOptions>;
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const dataConverter = options.dataConverter ?? options.deps.temporal?.options.dataConverter;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(dataConverter ? { dataConverter } : {}),
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../../workflows/index.ts') }),
    ...options.overrides,
  });
}
