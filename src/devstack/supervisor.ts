import type { ExitInfo, ManagedProcess } from './processes.js';

export interface SuperviseOptions {
  name: string;
  /** Starts one instance; called again for every restart. */
  spawn: () => ManagedProcess;
  log: (line: string) => void;
  /** Wait before restart `n` (1-based): doubling from 1 s, at most 30 s. */
  backoffMs?: (restart: number) => number;
  /** An instance that stayed up this long resets the backoff (default 60 s). */
  stableAfterMs?: number;
}

export interface Supervised {
  readonly name: string;
  /** The instance running now (the first one until it exits). */
  current(): ManagedProcess;
  /** From now on an unexpected exit restarts the process instead of being left to the caller. */
  restartOnExit(): void;
  /** Stops the running instance and any pending restart. */
  stop(): Promise<void>;
  /** How many times it was restarted. */
  restarts(): number;
}

const defaultBackoff = (restart: number) => Math.min(30_000, 1_000 * 2 ** (restart - 1));

const describeExit = (info: ExitInfo) => (info.signal ? `signal ${info.signal}` : `code ${info.code}`);

/**
 * Keeps a dev-stack child running: after an unexpected exit it is restarted with backoff and a log line, while the
 * rest of the stack keeps serving. Before `restartOnExit()` (during startup) exits are the caller's to handle, so a
 * configuration error fails `npm start` instead of looping.
 */
export function supervise({ name, spawn, log, backoffMs = defaultBackoff, stableAfterMs = 60_000 }: SuperviseOptions): Supervised {
  let proc = spawn();
  let startedAt = Date.now();
  let restarting = false;
  let stopped = false;
  let consecutive = 0;
  let total = 0;
  let pending: NodeJS.Timeout | undefined;

  const watch = (instance: ManagedProcess) => {
    void instance.exited.then((info) => {
      if (stopped || !restarting || instance !== proc) return;
      consecutive = Date.now() - startedAt >= stableAfterMs ? 1 : consecutive + 1;
      const delay = backoffMs(consecutive);
      log(`${name} exited unexpectedly (${describeExit(info)}); restarting in ${Math.round(delay / 100) / 10}s (restart ${total + 1})`);
      pending = setTimeout(() => {
        pending = undefined;
        if (stopped) return;
        total++;
        proc = spawn();
        startedAt = Date.now();
        watch(proc);
      }, delay);
    });
  };
  watch(proc);

  return {
    name,
    current: () => proc,
    restartOnExit() {
      restarting = true;
      // It may have died between startup and now: watching again sees that exit.
      if (!proc.isRunning()) watch(proc);
    },
    async stop() {
      stopped = true;
      if (pending) clearTimeout(pending);
      await proc.stop();
    },
    restarts: () => total,
  };
}
