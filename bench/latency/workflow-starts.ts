/** Helpers for preparing workflows before the clock starts. */
import type { Client } from '@temporalio/client';

export async function forEachConcurrently<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/**
 * Waits until the worker ran the first workflow task of the last-started workflows (the task queue hands them
 * out roughly in order, so the others are done too): preparation must not spill into the measured window.
 */
export async function waitUntilIdle(client: Client, workflowIds: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sample = workflowIds.slice(-8);
  for (;;) {
    const described = await Promise.all(sample.map((id) => client.workflow.getHandle(id).describe()));
    if (described.every((d) => !d.raw.pendingWorkflowTask)) return;
    if (Date.now() > deadline) throw new Error(`prepared workflows still had workflow tasks pending after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
