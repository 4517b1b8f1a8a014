/**
 * Event → effect for invoices in the worker's cache, then for invoices evicted from it: the worker is replaced by
 * a fresh process on the same task queue (a deploy or a crash), so the next event of each workflow replays its
 * history first. Each side gets a few unmeasured events first (a fresh process's first replays pay for JIT).
 */
import type { Db } from '../../src/db/connection.js';
import { eventToEffectMs } from './event-latency.js';
import { benchInvoiceId, type InvoiceTarget } from './invoice-events.js';
import type { BenchWorker } from './worker-handle.js';

const WARMUP_EVENTS = 3;

export interface ReplayOptions {
  target: InvoiceTarget;
  db: Db;
  runTag: string;
  /** Invoice indices parked and not yet touched since; the samples are spread over them. */
  indices: { from: number; to: number };
  samples: number;
  cachedWorker: BenchWorker;
  /** Stops the cached worker and starts its replacement. */
  replaceWorker: () => Promise<BenchWorker>;
  log: (msg: string) => void;
}

export interface ReplayResult {
  cachedMs: number[];
  evictedMs: number[];
}

/** `n` distinct indices spread evenly over [from, to). */
function spread(from: number, to: number, n: number): number[] {
  const span = to - from;
  if (span < n) throw new Error(`need ${n} untouched invoices for the event samples, have ${span}`);
  return Array.from({ length: n }, (_, i) => from + Math.floor((i * span) / n));
}

export async function measureReplay(opts: ReplayOptions): Promise<ReplayResult> {
  const perSide = WARMUP_EVENTS + opts.samples;
  const picked = spread(opts.indices.from, opts.indices.to, 2 * perSide).map((index) => ({ invoiceId: benchInvoiceId(opts.runTag, index), index }));
  // Alternate, so both sides sample the whole range alike.
  const cached = picked.filter((_, i) => i % 2 === 0);
  const evicted = picked.filter((_, i) => i % 2 === 1);

  const cachedMs = (await eventToEffectMs(opts.target, opts.db, cached)).slice(WARMUP_EVENTS);
  opts.log(`event → effect measured on ${opts.samples} cached invoices; replacing the worker`);
  const fresh = await opts.replaceWorker();
  const before = await fresh.snapshot(false);
  const evictedMs = (await eventToEffectMs(opts.target, opts.db, evicted)).slice(WARMUP_EVENTS);
  const after = await fresh.snapshot(false);
  // The fresh worker held none of these before their event: each one was a full replay.
  if (before.cachedWorkflows !== 0 || after.cachedWorkflows < perSide) {
    throw new Error(`the fresh worker's cache went from ${before.cachedWorkflows} to ${after.cachedWorkflows}, expected 0 to ${perSide}`);
  }
  return { cachedMs, evictedMs };
}
