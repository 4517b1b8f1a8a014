/** Console table and JSON rows (bench/results/latest.json plus a timestamped copy). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './load.js';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

export interface ScenarioResult extends LoadResult {
  name: string;
  /** Set when the scenario could not run at all. */
  error?: string;
}

export interface RatioSpec {
  name: string;
  scenario: string;
  baseline: string;
  /** null: printed for context, never PASS or FAIL. */
  target: number | null;
  /** What an informational ratio means, printed after it. */
  note?: string;
}

export interface Row {
  name: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: number | null;
  /** Which side of the target passes: 'min' (ratio >= target, the default) or 'max' (ratio <= target). */
  targetIs?: 'min' | 'max';
}

/** PASS, FAIL or n/a for a row with a target; null for an informational row. */
export function verdict(row: Row): 'PASS' | 'FAIL' | 'n/a' | null {
  if (row.target === null) return null;
  if (row.ratio === null) return 'n/a';
  const passes = row.targetIs === 'max' ? row.ratio <= row.target : row.ratio >= row.target;
  return passes ? 'PASS' : 'FAIL';
}

/** The one-line verdict for a row with a target, e.g. `[PASS] name: 0.97 (target >= 0.95)`. */
export function verdictLine(row: Row): string {
  const v = verdict(row) ?? 'info';
  const ratio = row.ratio === null ? 'n/a' : String(row.ratio);
  const target = row.target === null ? '' : ` (target ${row.targetIs === 'max' ? '<=' : '>='} ${row.target})`;
  return `[${v}] ${row.name}: ${row.value ?? 'n/a'} ${row.unit} vs ${row.baseline ?? 'n/a'} = ${ratio}${target}`;
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

export function buildRows(results: ScenarioResult[], ratios: RatioSpec[]): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    if (r.error) continue;
    rows.push({ name: `${r.name} events/s`, value: round(r.eventsPerSec, 1), unit: 'events/s', baseline: null, ratio: null, target: null });
    rows.push({ name: `${r.name} p50 latency`, value: round(r.p50Ms, 3), unit: 'ms', baseline: null, ratio: null, target: null });
    rows.push({ name: `${r.name} p99 latency`, value: round(r.p99Ms, 3), unit: 'ms', baseline: null, ratio: null, target: null });
    if (r.breakdown) {
      const b = r.breakdown;
      const ms = (name: string, value: number) => rows.push({ name: `${r.name} ${name}`, value: round(value, 3), unit: 'ms', baseline: null, ratio: null, target: null });
      ms('mean ack latency', b.ackMeanMs);
      ms('mean signalWithStart time', b.signalWithStartMeanMs);
      ms('mean other time inside the gateway', b.inGatewayMeanMs - b.signalWithStartMeanMs);
      ms('mean time outside the request handler', b.ackMeanMs - b.inGatewayMeanMs);
    }
  }
  for (const spec of ratios) {
    const value = results.find((r) => r.name === spec.scenario && !r.error);
    const baseline = results.find((r) => r.name === spec.baseline && !r.error);
    rows.push({
      name: spec.name,
      value: value ? round(value.eventsPerSec, 1) : null,
      unit: 'events/s',
      baseline: baseline ? round(baseline.eventsPerSec, 1) : null,
      ratio: value && baseline && baseline.eventsPerSec > 0 ? round(value.eventsPerSec / baseline.eventsPerSec, 3) : null,
      target: spec.target,
    });
  }
  return rows;
}

export function formatTable(results: ScenarioResult[], rows: Row[], ratios: RatioSpec[]): string {
  const header = ['scenario', 'events/s', 'p50 ms', 'p99 ms', 'ok', 'failed'];
  const body = results.map((r) =>
    r.error
      ? [r.name, 'n/a', 'n/a', 'n/a', '-', `error: ${r.error.split('\n')[0]}`]
      : [r.name, r.eventsPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.ok), String(r.failed)],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ''];
  for (const spec of ratios) {
    const row = rows.find((r) => r.name === spec.name)!;
    const ratio = row.ratio === null ? 'n/a' : row.ratio.toFixed(3);
    if (spec.target === null) {
      out.push(`[info] ${spec.name}: ${ratio}${spec.note ? ` (${spec.note})` : ''}`);
      continue;
    }
    const verdict = row.ratio === null ? 'n/a ' : row.ratio >= spec.target ? 'PASS' : 'FAIL';
    out.push(`[${verdict}] ${spec.name}: ${ratio} (target >= ${spec.target.toFixed(2)})`);
  }
  for (const r of results) {
    if (r.error || !r.breakdown) continue;
    const b = r.breakdown;
    out.push(
      `${r.name} mean ack ${b.ackMeanMs.toFixed(2)} ms = signalWithStart ${b.signalWithStartMeanMs.toFixed(2)}` +
        ` + rest of the gateway ${(b.inGatewayMeanMs - b.signalWithStartMeanMs).toFixed(2)}` +
        ` + outside the request handler (socket queues, waiting for a CPU, load generator) ${(b.ackMeanMs - b.inGatewayMeanMs).toFixed(2)}`,
    );
  }
  const failures = results.filter((r) => !r.error && r.firstFailure);
  for (const r of failures) out.push(`note: ${r.name}: ${r.failed} failed; first: ${r.firstFailure}`);
  return out.join('\n');
}

export async function writeResults(rows: Row[], when: Date): Promise<{ latest: string; stamped: string }> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(rows, null, 2)}\n`;
  const latest = path.join(RESULTS_DIR, 'latest.json');
  // ':' is not portable in file names.
  const stamped = path.join(RESULTS_DIR, `${when.toISOString().replaceAll(':', '-')}.json`);
  await writeFile(latest, json);
  await writeFile(stamped, json);
  return { latest, stamped };
}

/** Every row, one per line, with its verdict where it has a target. */
export function formatRows(rows: Row[]): string {
  const header = ['row', 'value', 'unit', 'baseline', 'ratio', 'target', ''];
  const cell = (v: number | null) => (v === null ? '-' : String(v));
  const body = rows.map((r) => [
    r.name,
    cell(r.value),
    r.unit,
    cell(r.baseline),
    cell(r.ratio),
    r.target === null ? '-' : `${r.targetIs === 'max' ? '<=' : '>='} ${r.target}`,
    verdict(r) ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
