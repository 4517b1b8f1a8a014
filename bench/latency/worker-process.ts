/** Forks bench/latency/worker.ts and waits until its worker polls; stop() shuts it down (SIGKILL after 20 s). */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerChildMessage, WorkerParentMessage } from './worker.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface WorkerHandle {
  stop(): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerHandle> {
  // execArgv carries tsx's loader from this process, so the child runs .ts too.
  const child = fork(WORKER_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.execArgv });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' } satisfies WorkerParentMessage);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      // Worker.create bundles the workflow code first: tens of seconds on a busy 2-core machine.
      const timer = setTimeout(() => reject(new Error('bench worker did not start within 120 s')), 120_000);
      child.once('exit', (code, signal) => reject(new Error(`bench worker exited early (${signal ?? `exit ${code}`})`)));
      child.once('message', (message: WorkerChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve();
        else reject(new Error(`bench worker failed to start: ${message.message}`));
      });
      child.send({ type: 'start', env } satisfies WorkerParentMessage);
    });
    return { stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
