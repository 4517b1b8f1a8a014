/** The parent's side of bench/open/worker-process.ts: fork it, start the worker, ask for snapshots, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerReply, WorkerRequest, WorkerSnapshot } from './worker-process.js';

const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
/** Room for tens of thousands of cached workflows; V8 flags apply to the workflow thread's isolate too. */
const NODE_FLAGS = ['--expose-gc', '--max-old-space-size=8192'];

export interface BenchWorker {
  /** collect: after a GC of the main isolate and a short settle, for memory readings. */
  snapshot(collect: boolean): Promise<WorkerSnapshot>;
  stop(): Promise<void>;
}

export interface BenchWorkerOptions {
  name: string;
  env: Record<string, string>;
  bundlePath: string;
  maxCachedWorkflows: number;
}

export async function startBenchWorker(options: BenchWorkerOptions): Promise<BenchWorker> {
  // execArgv is inherited from this process, which tsx started with its loader, so the child can run .ts too.
  const child: ChildProcess = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...NODE_FLAGS] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const request = (message: WorkerRequest, timeoutMs: number) =>
    new Promise<WorkerReply>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`${options.name} worker exited (${signal ?? `exit ${code}`})`));
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        reject(new Error(`${options.name} worker gave no answer to "${message.type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      child.once('exit', onExit);
      child.once('message', (reply: WorkerReply) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (reply.type === 'error') reject(new Error(`${options.name} worker: ${reply.message}`));
        else resolve(reply);
      });
      child.send(message);
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' } satisfies WorkerRequest);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const { env, bundlePath, maxCachedWorkflows } = options;
    await request({ type: 'start', env, bundlePath, maxCachedWorkflows }, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    snapshot: async (collect) => {
      const reply = await request({ type: 'status', collect }, 30_000);
      if (reply.type !== 'status') throw new Error(`${options.name} worker sent ${reply.type} instead of its status`);
      const { type: _type, ...snapshot } = reply;
      return snapshot;
    },
    stop,
  };
}
