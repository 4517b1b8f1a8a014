/**
 * One worker's parking phase: idle memory, a warm-up batch (pool connections, JIT, first activations), then the
 * measured batch, each parked before memory is read. The marginal RSS of the measured batch is the cost of the
 * parked workflows themselves; the worker's fixed costs fall in the warm-up reading.
 */
import type { WorkerSnapshot } from './worker-process.js';
import type { BenchWorker } from './worker-handle.js';
import { startAndPark } from './start-and-park.js';

const MIB = 1024 * 1024;
/** Memory readings per point, the median kept: RSS moves with the workflow thread's own GC. */
const READINGS = 3;

export interface ParkingResult {
  count: number;
  seconds: number;
  perSecond: number;
  idleRssMiB: number;
  warmRssMiB: number;
  parkedRssMiB: number;
  /** Marginal RSS of the measured batch, MiB per 1,000 parked workflows. */
  rssPerThousandMiB: number;
  /** The main isolate's heap alone (activities, SDK bookkeeping), MiB per 1,000. */
  mainHeapPerThousandMiB: number;
}

export interface ParkingOptions {
  what: string;
  worker: BenchWorker;
  warmup: number;
  count: number;
  concurrency: number;
  start: (index: number) => Promise<void>;
  /** True once `expected` workflows in all are parked (the worker's own state is checked too). */
  parked: (expected: number, status: WorkerSnapshot) => Promise<boolean>;
  timeoutMs: number;
  log: (msg: string) => void;
}

async function memory(worker: BenchWorker): Promise<{ rss: number; heap: number }> {
  const readings: WorkerSnapshot[] = [];
  for (let i = 0; i < READINGS; i++) readings.push(await worker.snapshot(true));
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { rss: median(readings.map((r) => r.rssBytes)), heap: median(readings.map((r) => r.heapUsedBytes)) };
}

export async function measureParking(opts: ParkingOptions): Promise<ParkingResult> {
  const { worker } = opts;
  const idle = await memory(worker);
  const batch = (from: number, count: number) =>
    startAndPark({
      from,
      count,
      concurrency: opts.concurrency,
      start: opts.start,
      parked: async () => {
        const status = await worker.snapshot(false);
        const progress = `${status.cachedWorkflows} cached, ${status.inFlightActivations} activations and ${status.inFlightActivities} activities in flight`;
        const done = status.inFlightActivations === 0 && status.inFlightActivities === 0 && (await opts.parked(from + count, status));
        return { done, progress };
      },
      timeoutMs: opts.timeoutMs,
      log: opts.log,
      what: opts.what,
    });
  await batch(0, opts.warmup);
  const warm = await memory(worker);
  const seconds = await batch(opts.warmup, opts.count);
  const parked = await memory(worker);
  opts.log(`${opts.what}: ${opts.count} parked in ${seconds.toFixed(1)} s, RSS ${(warm.rss / MIB).toFixed(0)} → ${(parked.rss / MIB).toFixed(0)} MiB`);
  return {
    count: opts.count,
    seconds,
    perSecond: opts.count / seconds,
    idleRssMiB: idle.rss / MIB,
    warmRssMiB: warm.rss / MIB,
    parkedRssMiB: parked.rss / MIB,
    rssPerThousandMiB: ((parked.rss - warm.rss) / MIB / opts.count) * 1000,
    mainHeapPerThousandMiB: ((parked.heap - warm.heap) / MIB / opts.count) * 1000,
  };
}
