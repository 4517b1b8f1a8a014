/** The wallet group's rows and printed table. */
import { percentile } from '../load.js';
import { verdictLine, type Row } from '../report.js';
import type { GroupResult } from '../group.js';
import type { CapturedStatement } from './capture.js';
import { SPEND_AMOUNT, type WalletState } from './fixture.js';
import type { Phase, Round } from './phase.js';
import type { SpendRun } from './spenders.js';

export interface WalletMeasurements {
  clients: number;
  seconds: number;
  statements: CapturedStatement[];
  script: string;
  /** Why there is no baseline, when there is none. */
  pgbenchMissing?: string;
  phases: Phase[];
  /** The HTTP run, or why it could not run. */
  http: SpendRun | string;
  /** State before the phases (after capture and HTTP), after them, and the spends the phases reported. */
  exactlyOnce: { funding: number; before: WalletState; after: WalletState; counted: number };
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
const mean = (values: number[]) => (values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length);
const sorted = (values: number[]) => Float64Array.from(values).sort();
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const info = (name: string, value: number | null, unit: string, baseline: number | null = null, ratio: number | null = null): Row => ({
  name,
  value,
  unit,
  baseline,
  ratio,
  target: null,
});

interface PhaseSummary {
  appPerSec: number;
  basePerSec: number;
  appLatencies: Float64Array;
  appCpuUs: number;
  baseCpuUs: number;
  baseLatencyMs: number;
  /** Share of the app rounds the Node main thread spent runnable but waiting for a CPU, %. */
  appWaitingPct: number;
}

function summarize(phase: Phase): PhaseSummary {
  const side = (name: Round['side']) => phase.rounds.filter((r) => r.side === name);
  const cpu = (rounds: Round[]) => mean(rounds.map((r) => r.clientCpuUs ?? Number.NaN));
  // Equal round lengths, so the mean of the rounds' rates is the rate over all of them.
  return {
    appPerSec: mean(side('app').map((r) => r.perSec)),
    basePerSec: mean(side('pgbench').map((r) => r.perSec)),
    appLatencies: sorted(side('app').flatMap((r) => r.spends!.latencies)),
    appCpuUs: cpu(side('app')),
    baseCpuUs: cpu(side('pgbench')),
    baseLatencyMs: mean(side('pgbench').map((r) => r.pgbench!.latencyAvgMs)),
    appWaitingPct: mean(side('app').map((r) => (r.mainThread?.waiting ?? Number.NaN) * 100)),
  };
}

function phaseRows(phase: Phase, s: PhaseSummary, clients: number): Row[] {
  const p = `wallet (${phase.label})`;
  return [
    {
      name: `${p}: app spends/s (appendLedgerEntry, ${clients} clients, one wallet) / pgbench same statements`,
      value: round(s.appPerSec, 1),
      unit: 'spends/s',
      baseline: round(s.basePerSec, 1),
      ratio: round(s.appPerSec / s.basePerSec, 3),
      target: 0.8,
    },
    info(`${p}: app p50 per spend`, round(percentile(s.appLatencies, 50), 3), 'ms'),
    info(`${p}: app p99 per spend`, round(percentile(s.appLatencies, 99), 3), 'ms'),
    info(`${p}: pgbench mean latency per spend`, round(s.baseLatencyMs, 3), 'ms'),
    info(`${p}: client CPU per spend, app (Node) / pgbench`, round(s.appCpuUs, 1), 'µs', round(s.baseCpuUs, 1), round(s.appCpuUs / s.baseCpuUs, 2)),
    info(`${p}: app rounds, Node main thread runnable but waiting for a CPU`, round(s.appWaitingPct, 1), '% of wall time'),
  ];
}

function roundLine(r: Round, i: number): string {
  const detail = r.spends
    ? `ok ${r.spends.ok}, failed ${r.spends.failed}${r.spends.firstFailure ? ` (first: ${r.spends.firstFailure})` : ''}`
    : `${r.pgbench!.processed} transactions, mean latency ${r.pgbench!.latencyAvgMs.toFixed(3)} ms`;
  const cpu = r.clientCpuUs === undefined ? '' : `, client CPU ${r.clientCpuUs.toFixed(0)} µs/spend`;
  const sched = r.mainThread
    ? `, Node main thread ran ${(r.mainThread.running * 100).toFixed(0)}% and waited for a CPU ${(r.mainThread.waiting * 100).toFixed(0)}% of the round`
    : '';
  return `  round ${i + 1}  ${r.side.padEnd(7)}  ${r.perSec.toFixed(1).padStart(9)} spends/s  (${detail}${cpu}${sched})`;
}

export function walletReport(m: WalletMeasurements): GroupResult {
  const c = m.clients;
  const rows: Row[] = [];
  const out = [
    `hot wallet: ${c} concurrent spenders on one balance row, ${m.seconds} s rounds`,
    'one spend sends (captured from appendLedgerEntry on the wire):',
    ...m.statements.map((s) => `  ${s.text}`),
    `baseline: pgbench -n -M extended -c ${c} -j 1 -T ${m.seconds}, script:`,
    ...m.script.trimEnd().split('\n').map((line) => `  ${line}`),
    ...(m.pgbenchMissing ? [`baseline n/a: ${m.pgbenchMissing}`] : []),
  ];
  for (const phase of m.phases) {
    const s = summarize(phase);
    const phaseRowsOut = phaseRows(phase, s, c);
    rows.push(...phaseRowsOut);
    out.push(
      `${phase.label} (${phase.settings}):`,
      ...phase.rounds.map(roundLine),
      verdictLine(phaseRowsOut[0]!),
      `  app per spend: p50 ${fixed(percentile(s.appLatencies, 50), 2)} ms, p99 ${fixed(percentile(s.appLatencies, 99), 2)} ms;` +
        ` client CPU per spend: app ${fixed(s.appCpuUs, 0)} µs, pgbench ${fixed(s.baseCpuUs, 0)} µs`,
    );
  }

  const http = typeof m.http === 'string' ? undefined : m.http;
  const httpLatencies = sorted(http?.latencies ?? []);
  const httpPerSec = http ? http.ok / http.durationSec : Number.NaN;
  const durableBase = m.phases.length > 0 ? summarize(m.phases[0]!).basePerSec : Number.NaN;
  rows.push(
    info(`wallet: HTTP spends/s (createApp, ${c} connections) / pgbench (${m.phases[0]?.label ?? 'n/a'})`, round(httpPerSec, 1), 'spends/s', round(durableBase, 1), round(httpPerSec / durableBase, 3)),
    info('wallet: HTTP p50 per spend', round(percentile(httpLatencies, 50), 3), 'ms'),
    info('wallet: HTTP p99 per spend', round(percentile(httpLatencies, 99), 3), 'ms'),
  );
  out.push(
    typeof m.http === 'string'
      ? `[info] HTTP: n/a (${m.http})`
      : `[info] HTTP (createApp in its own process, pool 10, autocannon ${c} connections, before the phases, ${m.phases[0]?.settings ?? ''}):` +
        ` ${fixed(httpPerSec, 1)} spends/s, p50 ${fixed(percentile(httpLatencies, 50), 2)} ms, p99 ${fixed(percentile(httpLatencies, 99), 2)} ms,` +
        ` ÷ pgbench ${fixed(httpPerSec / durableBase, 3)}` +
        (m.http.failed > 0 ? `; ${m.http.failed} failed (first: ${m.http.firstFailure})` : ''),
  );

  const { funding, before, after, counted } = m.exactlyOnce;
  const discrepancies =
    Math.abs(after.spends - before.spends - counted) +
    Math.abs(after.spent - before.spent - counted * SPEND_AMOUNT) +
    Math.abs(funding - after.spent - after.balance);
  const exactlyOnce: Row = {
    name: 'wallet: exactly-once discrepancies (ledger rows, amount spent, balance vs spends counted)',
    value: discrepancies,
    unit: 'count',
    baseline: 0,
    ratio: discrepancies,
    target: 0,
    targetIs: 'max',
  };
  rows.push(exactlyOnce);
  out.push(
    `exactly once: funding ${funding} − ${after.spends} spend rows (${after.spent} spent) = ${funding - after.spent}, balance ${after.balance};` +
      ` the phases counted ${counted} spends, the ledger gained ${after.spends - before.spends} rows (${after.spent - before.spent} spent)`,
    verdictLine(exactlyOnce),
  );
  return { rows, table: out.join('\n') };
}
