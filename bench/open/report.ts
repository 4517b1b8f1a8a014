/** Rows and the printed table of the open group; every ratio is informational (see bench/groups/open.ts). */
import { verdictLine, type Row } from '../report.js';
import { percentile } from './event-latency.js';
import type { ParkingResult } from './parking.js';

export interface OpenResults {
  workflows: number;
  /** The empty loop in a bundle of its own: the SDK's floor per workflow. */
  minimal: ParkingResult;
  /** The empty loop in the production bundle: the baseline. */
  empty: ParkingResult;
  invoice: ParkingResult;
  cachedMs: number[];
  evictedMs: number[];
  /** Events in a parked invoice workflow's history: what an evicted one replays. */
  historyEvents: number;
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

function info(name: string, value: number, unit: string, baseline: number, digits: number): Row {
  const v = round(value, digits);
  const b = round(baseline, digits);
  return { name, value: v, unit, baseline: b, ratio: v !== null && b !== null && b !== 0 ? round(value / baseline, 2) : null, target: null };
}

export function openRows(r: OpenResults): Row[] {
  const n = r.workflows.toLocaleString('en-US');
  return [
    info('open: workflows started and parked per second, invoice vs empty loop', r.invoice.perSecond, 'workflows/s', r.empty.perSecond, 1),
    info('open: worker RSS per 1,000 parked workflows, invoice vs empty loop', r.invoice.rssPerThousandMiB, 'MiB', r.empty.rssPerThousandMiB, 2),
    info(`open: worker RSS with ${n} parked, invoice vs empty loop`, r.invoice.parkedRssMiB, 'MiB', r.empty.parkedRssMiB, 0),
    info('open: worker RSS per 1,000 parked empty loops, production bundle vs the empty loop alone', r.empty.rssPerThousandMiB, 'MiB', r.minimal.rssPerThousandMiB, 2),
    info('open: empty loops started and parked per second, production bundle vs the empty loop alone', r.empty.perSecond, 'workflows/s', r.minimal.perSecond, 1),
    info('open: event to effect p50, evicted vs cached invoice', percentile(r.evictedMs, 50), 'ms', percentile(r.cachedMs, 50), 1),
    info('open: event to effect p99, evicted vs cached invoice', percentile(r.evictedMs, 99), 'ms', percentile(r.cachedMs, 99), 1),
    { name: 'open: history events of a parked invoice workflow', value: r.historyEvents, unit: 'events', baseline: null, ratio: null, target: null },
  ];
}

export function openTable(r: OpenResults, rows: Row[]): string {
  const header = ['workflow', 'parked/s', 'idle RSS', 'warm RSS', 'parked RSS', 'RSS/1,000', 'main heap/1,000'];
  const mib = (v: number) => `${v.toFixed(0)} MiB`;
  const line = (name: string, p: ParkingResult) => [
    name,
    p.perSecond.toFixed(0),
    mib(p.idleRssMiB),
    mib(p.warmRssMiB),
    mib(p.parkedRssMiB),
    `${p.rssPerThousandMiB.toFixed(1)} MiB`,
    `${p.mainHeapPerThousandMiB.toFixed(1)} MiB`,
  ];
  const body = [line('empty loop, alone in its bundle', r.minimal), line('empty loop, production bundle', r.empty), line('invoice, production bundle', r.invoice)];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const ms = (samples: number[]) => `p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms (${samples.length} events)`;
  return [
    `open workflows: ${r.workflows.toLocaleString('en-US')} per worker process, each parked on its timer`,
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(fmt),
    '',
    'invoice.updated signalWithStart → row written by the workflow:',
    `  cached invoice:  ${ms(r.cachedMs)}`,
    `  evicted invoice: ${ms(r.evictedMs)}, replaying ${r.historyEvents} history events first`,
    '',
    ...rows.filter((row) => row.baseline !== null).map(verdictLine),
  ].join('\n');
}
