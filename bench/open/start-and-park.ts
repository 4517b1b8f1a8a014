/** Starts `count` workflows with bounded concurrency and waits until every one is parked; times the whole. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartAndParkOptions {
  count: number;
  /** Index of the first workflow, so batches of one run get distinct ids. */
  from?: number;
  concurrency: number;
  start: (index: number) => Promise<void>;
  /** done once all `count` (plus any parked before) wait on their timer; polled until then, progress logged. */
  parked: () => Promise<{ done: boolean; progress: string }>;
  timeoutMs: number;
  log: (msg: string) => void;
  what: string;
}

/** Seconds from the first start call until `parked()` held. */
export async function startAndPark(opts: StartAndParkOptions): Promise<number> {
  const from = opts.from ?? 0;
  const begun = performance.now();
  let next = 0;
  let lastLog = begun;
  const lane = async () => {
    while (next < opts.count) {
      const index = from + next++;
      await opts.start(index);
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        opts.log(`${opts.what}: ${next}/${opts.count} started`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, lane));
  opts.log(`${opts.what}: ${opts.count} started in ${((performance.now() - begun) / 1000).toFixed(1)} s`);
  const deadline = begun + opts.timeoutMs;
  for (;;) {
    const { done, progress } = await opts.parked();
    if (done) break;
    if (performance.now() > deadline) throw new Error(`${opts.what}: not all ${opts.count} parked within ${opts.timeoutMs / 1000} s (${progress})`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      opts.log(`${opts.what}: waiting for all to park (${progress})`);
    }
    await sleep(100);
  }
  return (performance.now() - begun) / 1000;
}
