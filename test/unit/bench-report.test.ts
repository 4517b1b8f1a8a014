import { describe, expect, it } from 'vitest';
import { percentile, summarize, type LoadRun } from '../../bench/load.js';
import { buildRows, formatTable, type RatioSpec, type ScenarioResult } from '../../bench/report.js';

const run = (ok: number, durationSec: number, latencies: number[], extra: Partial<LoadRun> = {}): LoadRun => ({
  ok,
  failed: 0,
  durationSec,
  latencies: Float64Array.from(latencies),
  wrapped: false,
  ...extra,
});

const RATIO: RatioSpec = { name: 'b / a', scenario: 'b', baseline: 'a', target: 0.9 };

describe('bench summary', () => {
  it('combines rounds by total events over total time and takes percentiles over every latency', () => {
    const result = summarize([run(100, 1, [1, 2, 3]), run(300, 2, [4, 5, 6, 7])]);
    expect(result.eventsPerSec).toBeCloseTo(400 / 3, 6);
    expect(result.p50Ms).toBe(4);
    expect(result.p99Ms).toBe(7);
    expect(result.breakdown).toBeUndefined();
  });

  it('percentile picks the nearest rank and is NaN for no samples', () => {
    expect(percentile(Float64Array.from([10, 20, 30, 40]), 50)).toBe(20);
    expect(percentile(Float64Array.from([10, 20, 30, 40]), 100)).toBe(40);
    expect(percentile(new Float64Array(0), 50)).toBeNaN();
  });

  it('splits the mean ack latency with the server timings weighted by their counts', () => {
    const result = summarize([
      run(2, 1, [20, 30], { server: { request: { count: 2, totalMs: 40 }, signalWithStart: { count: 2, totalMs: 36 } } }),
      run(2, 1, [10, 20], { server: { request: { count: 2, totalMs: 20 }, signalWithStart: { count: 2, totalMs: 16 } } }),
    ]);
    expect(result.breakdown).toEqual({ ackMeanMs: 20, inGatewayMeanMs: 15, signalWithStartMeanMs: 13 });
    const rows = buildRows([{ name: 'b', ...result }], []);
    expect(rows.find((r) => r.name === 'b mean time outside the request handler')?.value).toBe(5);
    expect(rows.find((r) => r.name === 'b mean other time inside the gateway')?.value).toBe(2);
  });
});

describe('bench rows', () => {
  const scenario = (name: string, eventsPerSec: number, error?: string): ScenarioResult => ({
    name,
    eventsPerSec,
    p50Ms: 1,
    p99Ms: 2,
    ok: 10,
    failed: 0,
    durationSec: 1,
    wrapped: false,
    ...(error ? { error } : {}),
  });

  it('reports the ratio against the baseline measured in the same run, with its target', () => {
    const rows = buildRows([scenario('a', 1000), scenario('b', 850)], [RATIO]);
    expect(rows.find((r) => r.name === 'b / a')).toEqual({ name: 'b / a', value: 850, unit: 'events/s', baseline: 1000, ratio: 0.85, target: 0.9 });
    expect(formatTable([scenario('a', 1000), scenario('b', 850)], rows, [RATIO])).toContain('[FAIL] b / a: 0.850 (target >= 0.90)');
  });

  it('prints an informational ratio without a verdict', () => {
    const info: RatioSpec = { name: 'b / a', scenario: 'b', baseline: 'a', target: null, note: 'context only' };
    const results = [scenario('a', 1000), scenario('b', 500)];
    const rows = buildRows(results, [info]);
    expect(rows.find((r) => r.name === 'b / a')).toMatchObject({ ratio: 0.5, target: null });
    const table = formatTable(results, rows, [info]);
    expect(table).toContain('[info] b / a: 0.500 (context only)');
    expect(table).not.toMatch(/PASS|FAIL/);
  });

  it('has no ratio when a side failed to run, and says so instead of passing or failing', () => {
    const results = [scenario('a', Number.NaN, 'server did not start'), scenario('b', 850)];
    const rows = buildRows(results, [RATIO]);
    expect(rows.find((r) => r.name === 'b / a')).toMatchObject({ ratio: null, baseline: null });
    expect(formatTable(results, rows, [RATIO])).toContain('[n/a ] b / a: n/a');
  });
});
