/**
 * Times one read route on several gateways, one request at a time, interleaved (A B, B A, …) so background load
 * on the shared machine hits every gateway alike. Any answer other than 200 fails the measurement.
 */
import { performance } from 'node:perf_hooks';

export interface Target {
  name: string;
  url: string;
  apiKey: string;
}

export interface Latencies {
  p50Ms: number;
  p99Ms: number;
  count: number;
}

async function timedGet(target: Target): Promise<number> {
  const begun = performance.now();
  const response = await fetch(target.url, { headers: { authorization: `Bearer ${target.apiKey}` } });
  const body = await response.text();
  const elapsed = performance.now() - begun;
  if (response.status !== 200) throw new Error(`${target.name}: GET ${new URL(target.url).pathname} answered ${response.status}: ${body.slice(0, 300)}`);
  return elapsed;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function measureInterleaved(targets: Target[], warmup: number, requests: number): Promise<Map<string, Latencies>> {
  for (let i = 0; i < warmup; i++) for (const target of targets) await timedGet(target);
  const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
  for (let i = 0; i < requests; i++) {
    const order = i % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) samples.get(target.name)!.push(await timedGet(target));
  }
  const result = new Map<string, Latencies>();
  for (const [name, values] of samples) {
    const sorted = [...values].sort((a, b) => a - b);
    result.set(name, { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), count: sorted.length });
  }
  return result;
}
