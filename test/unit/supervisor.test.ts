import { afterEach, describe, expect, it } from 'vitest';
import { spawnProcess } from '../../src/devstack/processes.js';
import { supervise, type Supervised } from '../../src/devstack/supervisor.js';

/** A real child that crashes with code 3 after a moment, like a worker losing its connection. */
const crashingChild = () =>
  spawnProcess({ name: 'crasher', command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(3), 30)'], output: 'quiet' });
const longRunningChild = () =>
  spawnProcess({ name: 'sleeper', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], output: 'quiet' });

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

let running: Supervised | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('dev stack supervisor (real child processes)', () => {
  it('leaves an exit during startup to the caller, then restarts every crash after a backoff chosen by the restart count, with a log line', async () => {
    const lines: string[] = [];
    const delays: number[] = [];
    running = supervise({
      name: 'worker',
      spawn: crashingChild,
      log: (line) => lines.push(line),
      backoffMs: (restart) => {
        delays.push(restart);
        return 5 * restart;
      },
      stableAfterMs: 60_000,
    });
    const first = running.current();
    expect(await first.exited).toEqual({ code: 3, signal: null });
    expect(running.restarts()).toBe(0);
    expect(lines).toEqual([]);

    running.restartOnExit();
    await until(() => running!.restarts() >= 3, 'three restarts');
    expect(running.current()).not.toBe(first);
    expect(delays.slice(0, 3)).toEqual([1, 2, 3]);
    expect(lines[0]).toBe('worker exited unexpectedly (code 3); restarting in 0s (restart 1)');
    expect(lines[1]).toBe('worker exited unexpectedly (code 3); restarting in 0s (restart 2)');
  });

  it('a process that stayed up resets the backoff; stop() ends it and no restart follows', async () => {
    const restartsSeen: number[] = [];
    running = supervise({ name: 'gateway', spawn: crashingChild, log: () => {}, backoffMs: (restart) => (restartsSeen.push(restart), 5), stableAfterMs: 0 });
    running.restartOnExit();
    await until(() => running!.restarts() >= 2, 'two restarts');
    expect(restartsSeen.slice(0, 2)).toEqual([1, 1]);
    await running.stop();
    const after = running.restarts();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(running.restarts()).toBe(after);
    expect(running.current().isRunning()).toBe(false);
  });

  it('stop() stops a healthy process without restarting it', async () => {
    const lines: string[] = [];
    running = supervise({ name: 'worker', spawn: longRunningChild, log: (line) => lines.push(line) });
    running.restartOnExit();
    expect(running.current().isRunning()).toBe(true);
    await running.stop();
    expect(running.current().isRunning()).toBe(false);
    expect(running.restarts()).toBe(0);
    expect(lines).toEqual([]);
  });
});
