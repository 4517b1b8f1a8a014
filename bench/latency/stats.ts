/** What a path's runs add up to: credits/s over the closed-loop windows, send→commit percentiles over the open-loop ones. */
import { percentile } from '../load.js';
import type { Credit } from './credit.js';
import type { LoopRun } from './loops.js';

export interface PathStats {
  creditsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** Open-loop credits whose row committed / sent. */
  latencyCommitted: number;
  latencySent: number;
  failures: number;
  firstFailure?: string;
}

const sorted = (values: number[]) => Float64Array.from(values).sort();

export function pathStats(throughputRuns: LoopRun[], latencyRuns: LoopRun[]): PathStats {
  let commits = 0;
  let windowMs = 0;
  for (const run of throughputRuns) {
    windowMs += run.windowEnd - run.windowStart;
    commits += run.sent.filter((c) => c.commitAt !== undefined && c.commitAt >= run.windowStart && c.commitAt <= run.windowEnd).length;
  }
  const latencyCredits = latencyRuns.flatMap((r) => r.sent);
  const committed = latencyCredits.filter((c) => c.commitAt !== undefined && c.sentAt !== undefined);
  const latencies = sorted(committed.map((c) => c.commitAt! - c.sentAt!));
  const acks = sorted(latencyCredits.filter((c) => c.ackAt !== undefined).map((c) => c.ackAt! - c.sentAt!));
  const all: Credit[] = [...throughputRuns, ...latencyRuns].flatMap((r) => r.sent);
  const failed = all.filter((c) => c.failure !== undefined || c.commitAt === undefined);
  return {
    creditsPerSec: windowMs > 0 ? (commits * 1000) / windowMs : Number.NaN,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ackP50Ms: percentile(acks, 50),
    ackP99Ms: percentile(acks, 99),
    latencyCommitted: committed.length,
    latencySent: latencyCredits.length,
    failures: failed.length,
    firstFailure: failed.find((c) => c.failure)?.failure ?? (failed.length > 0 ? 'no commit within 30 s' : undefined),
  };
}
