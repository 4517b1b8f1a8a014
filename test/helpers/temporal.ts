import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { registerSearchAttributes } from '../../src/devstack/temporal.js';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { getStack } from './stack.js';

/** The time-skipping server from the project's resolved tool (the SDK's own download fails offline). */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: getStack().tools.temporalTestServer } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** Workers in tests share the bundle global setup built once; bundling per test is slow. */
export function workflowBundleOption(): { workflowBundle: { codePath: string } } {
  const codePath = getStack().workflowBundlePath;
  if (!codePath) throw new Error('global setup did not bundle workflows/index.ts');
  return { workflowBundle: { codePath } };
}

/**
 * Writes a workflow's history (its latest run unless runId is given) to test/histories/<name> for
 * test/workflows/replay.test.ts, only when RECORD_HISTORIES is set; otherwise does nothing.
 */
export async function recordHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(path.join(PROJECT_ROOT, 'test', 'histories', name), historyToJSON(history));
}

async function runWithWorker<T>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: object,
  run: (taskQueue: string, env: TestWorkflowEnvironment) => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, activities, ...workflowBundleOption() });
  return worker.runUntil(run(taskQueue, env));
}

/**
 * One time-skipping server per test file, plus a worker per test on its own task queue:
 *   const suite = timeSkippingSuite('order');
 *   await suite.withWorker(activities, async (taskQueue) => { ... suite.env.client ... });
 *
 * A test that needs time to skip (a timer of days, awaited through handle.result()) runs on a server of its own:
 *   await suite.withOwnServer(activities, async (taskQueue, env) => { ... env.client ... });
 * The test server never releases the time-skipping lock it holds for an activity or workflow task that is still
 * in flight when its workflow closes (a terminate, or a continue-as-new while a signal arrives). Later tests on
 * the same server then wait for their timers in real time; how often that happens depends on machine load.
 */
export function timeSkippingSuite(name: string) {
  let env: TestWorkflowEnvironment | undefined;
  let counter = 0;
  beforeAll(async () => {
    env = await timeSkippingEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return {
    get env(): TestWorkflowEnvironment {
      if (!env) throw new Error('time-skipping environment not started yet');
      return env;
    },
    /** A unique task queue per call, so workers of different tests never pick up each other's tasks. */
    nextTaskQueue(): string {
      return `${name}-test-${++counter}`;
    },
    async withWorker<T>(activities: object, run: (taskQueue: string, env: TestWorkflowEnvironment) => Promise<T>): Promise<T> {
      return runWithWorker(this.env, this.nextTaskQueue(), activities, run);
    },
    /** Like withWorker, on a time-skipping server started for this call alone and torn down after it. */
    async withOwnServer<T>(activities: object, run: (taskQueue: string, env: TestWorkflowEnvironment) => Promise<T>): Promise<T> {
      const own = await timeSkippingEnvironment();
      try {
        return await runWithWorker(own, this.nextTaskQueue(), activities, run);
      } finally {
        await own.teardown();
      }
    },
  };
}
