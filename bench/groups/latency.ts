/**
 * Group `latency`: money latency end to end (issue 16). A stream of signed `checkout.session.completed` events for
 * prepared top-ups goes through the real gateway (its own process) to the real TopUp workflow and activities (a
 * worker in its own process); each credit is timed from the request's write to its ledger row's commit (a bench-only
 * pg_notify trigger, bench/latency/commits.ts). The baseline, in the same run and on the same worker: a client
 * `workflow.start` per credit of a one-activity workflow making the same ledger insert (bench/latency/credit-*.ts).
 *
 * Both paths are driven alike, in interleaved rounds (real, baseline, then baseline, real, …):
 *   credits/s  closed loop: BENCH_LATENCY_CONCURRENCY credits in flight, the next sent when one commits (saturation)
 *   p50, p99   open loop: a fixed offered rate (BENCH_LATENCY_RATE, default half the baseline's credits/s), so
 *              queueing at saturation does not decide the latency
 * Targets: credits/s >= 0.8 of the baseline's, p99 <= 1.5x the baseline's. Then a sample of histories says where
 * the time goes, and the ledger is checked: every event sent credited exactly once.
 *
 * Env: BENCH_LATENCY_SECONDS (open-loop seconds per path; default 16, stretched up to 40 for >= 100 credits a
 * path), BENCH_LATENCY_THROUGHPUT_SECONDS (10, closed-loop seconds per path), BENCH_LATENCY_ROUNDS (2),
 * BENCH_LATENCY_RATE (credits/s offered; default half the baseline's measured credits/s), BENCH_LATENCY_CONCURRENCY
 * (32), BENCH_LATENCY_WARMUP_SECONDS (3), BENCH_LATENCY_SAMPLE (40 histories per path).
 */
import { benchAppEnv, BENCH_STRIPE_API_VERSION, BENCH_WEBHOOK_SECRET } from '../app-env.js';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/connection.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { createTemporalClient } from '../../src/temporal/connection.js';
import { retryScheduleFromConfig } from '../../src/temporal/retry.js';
import { BENCH_TENANT_ID } from '../events.js';
import { numberFromEnv, type GroupRunner } from '../group.js';
import { startServer, type ServerHandle } from '../load.js';
import { verdictLine, type Row } from '../report.js';
import { startBenchStack, type BenchStack } from '../stack.js';
import { baselineCredits } from '../latency/baseline-credits.js';
import { evenSample, measureBreakdown, SEGMENTS, slowest, type Breakdown } from '../latency/breakdown.js';
import { installCommitNotify, ledgerRowsPerKey, listenForCommits, removeCommitNotify, type CommitListener } from '../latency/commits.js';
import { CommitBoard, type Credit } from '../latency/credit.js';
import { closedLoop, openLoop, type LoopRun } from '../latency/loops.js';
import { pathStats, type PathStats } from '../latency/stats.js';
import { prepareTopUps, type TopUpPathOptions } from '../latency/top-ups.js';
import { startWorkerProcess } from '../latency/worker-process.js';
import { forEachConcurrently } from '../latency/workflow-starts.js';

const settings = () => ({
  /** Undefined: 16 s, stretched (up to 40 s) so each path gets at least 100 credits for its p99. */
  latencySec: process.env.BENCH_LATENCY_SECONDS?.trim() ? numberFromEnv('BENCH_LATENCY_SECONDS', 16, 1, false) : undefined,
  throughputSec: numberFromEnv('BENCH_LATENCY_THROUGHPUT_SECONDS', 10, 1, false),
  rounds: numberFromEnv('BENCH_LATENCY_ROUNDS', 2, 1),
  rate: process.env.BENCH_LATENCY_RATE?.trim() ? numberFromEnv('BENCH_LATENCY_RATE', 0, 0.1, false) : undefined,
  concurrency: numberFromEnv('BENCH_LATENCY_CONCURRENCY', 32, 1),
  warmupSec: numberFromEnv('BENCH_LATENCY_WARMUP_SECONDS', 3, 0, false),
  sample: numberFromEnv('BENCH_LATENCY_SAMPLE', 40, 0),
});
type Settings = ReturnType<typeof settings>;

const WEBHOOK_SECRET = BENCH_WEBHOOK_SECRET;
const STRIPE_API_VERSION = BENCH_STRIPE_API_VERSION;
const REAL = 'webhook → TopUp workflow';
const BASELINE = 'client start → one-activity workflow';

type PathName = 'real' | 'baseline';

/** What the measurement runs against; startRig registers a closer for each part that started. */
interface Rig {
  db: Db;
  client: Client;
  board: CommitBoard;
  topUps: TopUpPathOptions;
  taskQueue: string;
  gateway: ServerHandle;
  /** Every credit handed out, for the ledger check. */
  handedOut: Record<PathName, Credit[]>;
}

export const run: GroupRunner = async ({ log, started }) => {
  const s = settings();
  const stack = await startBenchStack(log);
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const rig = await startRig(stack, started, log, closers);
    const measured = await measure(rig, s, log);
    const ledger = await checkLedger(rig);
    log('reading a sample of histories for the breakdown');
    const sent = (path: PathName) => measured.latencyRuns[path].flatMap((r) => r.sent);
    const tailSize = Math.max(1, Math.ceil(s.sample / 4));
    const breakdown = {
      real: await measureBreakdown(rig.client, evenSample(sent('real'), s.sample)),
      baseline: await measureBreakdown(rig.client, evenSample(sent('baseline'), s.sample)),
    };
    const tail = {
      real: await measureBreakdown(rig.client, slowest(sent('real'), tailSize)),
      baseline: await measureBreakdown(rig.client, slowest(sent('baseline'), tailSize)),
    };
    const stats = {
      real: pathStats(measured.throughputRuns.real, measured.latencyRuns.real),
      baseline: pathStats(measured.throughputRuns.baseline, measured.latencyRuns.baseline),
    };
    const rows = buildRows(stats, ledger, breakdown, measured.rate);
    const gatewayNote = `gateway process during the open-loop rounds: mean ${measured.gatewayInMs.toFixed(2)} ms per request, of which signalWithStart ${measured.gatewaySignalMs.toFixed(2)} ms`;
    return { rows, table: formatTable(stats, ledger, { breakdown, tail }, rows, s, measured, gatewayNote) };
  } finally {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log(`stop error: ${String(error)}`));
    await stack.stop();
  }
};

async function startRig(stack: BenchStack, started: Date, log: (msg: string) => void, closers: Array<() => Promise<unknown>>): Promise<Rig> {
  const taskQueue = `bench-latency-${started.getTime()}-${randomBytes(3).toString('hex')}`;
  const env = benchAppEnv({
    databaseUrl: stack.databaseUrl,
    temporalAddress: stack.temporalAddress,
    temporalNamespace: stack.temporalNamespace,
    taskQueue,
  });
  const config = loadConfig(env);
  const db = createDb(stack.databaseUrl);
  closers.push(() => db.destroy());
  await ensureTenant(db, { id: BENCH_TENANT_ID, name: 'Bench' });
  await installCommitNotify(db);
  closers.push(() => removeCommitNotify(db));
  const board = new CommitBoard();
  const listener: CommitListener = await listenForCommits(stack.databaseUrl, (key, at) => board.committed(key, at));
  closers.push(() => listener.close());

  log('starting the worker (bundles the workflows) and the gateway, each in its own process');
  const [worker, gateway] = await Promise.allSettled([startWorkerProcess(env), startServer('gateway-full', env)]);
  if (worker.status === 'fulfilled') closers.push(() => worker.value.stop());
  if (gateway.status === 'fulfilled') closers.push(() => gateway.value.stop());
  if (worker.status === 'rejected') throw worker.reason;
  if (gateway.status === 'rejected') throw gateway.reason;

  const client = createTemporalClient(config);
  closers.push(() => client.connection.close());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  closers.push(async () => agent.destroy());
  const topUps: TopUpPathOptions = {
    db,
    client,
    taskQueue,
    retry: retryScheduleFromConfig(config),
    url: gateway.value.url,
    agent,
    webhookSecret: WEBHOOK_SECRET,
    apiVersion: STRIPE_API_VERSION,
  };
  return { db, client, board, topUps, taskQueue, gateway: gateway.value, handedOut: { real: [], baseline: [] } };
}

/** A pool of `count` credits for one path, tracked by the board; top-ups are prepared (and idle) when this returns. */
async function pool(rig: Rig, path: PathName, count: number, log: (msg: string) => void): Promise<Credit[]> {
  const begun = performance.now();
  const credits = path === 'real' ? await prepareTopUps(rig.topUps, count) : baselineCredits(rig.client, rig.taskQueue, count);
  if (path === 'real') log(`prepared ${count} top-ups in ${((performance.now() - begun) / 1000).toFixed(1)}s`);
  rig.board.track(credits);
  rig.handedOut[path].push(...credits);
  return credits;
}

/** Prepared top-ups nobody sent wait 25 h for an event; on a Temporal server of one's own, end them now. */
async function terminateUnsent(rig: Rig, leftovers: Credit[]): Promise<void> {
  if (!process.env.TEMPORAL_ADDRESS?.trim()) return;
  await forEachConcurrently(leftovers, 16, (c) => rig.client.workflow.getHandle(c.workflowId).terminate('bench: prepared but not sent'));
}

const committedPerSec = (run: LoopRun) =>
  (run.sent.filter((c) => c.commitAt !== undefined && c.commitAt <= run.windowEnd).length * 1000) / Math.max(1, run.windowEnd - run.windowStart);

/** Credits/s assumed when sizing a pool after a run that committed (almost) nothing in its window, e.g. a cold start. */
const MIN_ESTIMATE = 10;

/** Lets the last credits' closing workflow tasks finish before the next round's clock starts. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

async function measure(rig: Rig, s: Settings, log: (msg: string) => void) {
  const throughputRuns: Record<PathName, LoopRun[]> = { real: [], baseline: [] };
  const latencyRuns: Record<PathName, LoopRun[]> = { real: [], baseline: [] };
  const estimate: Record<PathName, number> = { real: 100, baseline: 100 };
  const leftovers: Credit[] = [];
  const order = (round: number): PathName[] => (round % 2 === 0 ? ['real', 'baseline'] : ['baseline', 'real']);

  if (s.warmupSec > 0) {
    for (const path of order(0)) {
      // Small: a pool that runs out ends the window early, and the rate up to then is still the estimate wanted.
      const credits = await pool(rig, path, s.concurrency * 4, log);
      const warm = await closedLoop(credits, rig.board, s.concurrency, s.warmupSec);
      leftovers.push(...credits);
      if (!warm.sent.some((c) => c.commitAt !== undefined)) {
        throw new Error(`${path} warm-up credited nothing: ${warm.sent.find((c) => c.failure)?.failure ?? 'no ledger commit seen'}`);
      }
      estimate[path] = Math.max(MIN_ESTIMATE, committedPerSec(warm));
      log(`${path} warm-up: ${committedPerSec(warm).toFixed(1)} credits/s`);
      await settle();
    }
  }

  const throughputSec = s.throughputSec / s.rounds;
  for (let round = 0; round < s.rounds; round++) {
    for (const path of order(round)) {
      // Sized from the last rate seen, with room: a pool that runs out ends the window early (still a valid rate).
      const credits = await pool(rig, path, Math.ceil(estimate[path] * throughputSec * 1.5) + s.concurrency, log);
      const result = await closedLoop(credits, rig.board, s.concurrency, throughputSec);
      leftovers.push(...credits);
      throughputRuns[path].push(result);
      estimate[path] = Math.max(MIN_ESTIMATE, committedPerSec(result));
      log(`closed loop round ${round + 1}/${s.rounds} ${path}: ${committedPerSec(result).toFixed(1)} credits/s${result.exhausted ? ' (pool ran out)' : ''}`);
      await settle();
    }
  }

  const rate = s.rate ?? Math.max(1, Math.round(pathStats(throughputRuns.baseline, []).creditsPerSec / 2));
  const latencyTotalSec = s.latencySec ?? Math.min(40, Math.max(16, 100 / rate));
  const latencySec = latencyTotalSec / s.rounds;
  let gatewayRequests = { count: 0, totalMs: 0 };
  let gatewaySignals = { count: 0, totalMs: 0 };
  log(`open loop at ${rate} credits/s`);
  for (let round = 0; round < s.rounds; round++) {
    for (const path of order(round)) {
      const credits = await pool(rig, path, Math.ceil(rate * latencySec) + 1, log);
      if (path === 'real') await rig.gateway.takeTimings();
      const result = await openLoop(credits, rig.board, rate, latencySec);
      if (path === 'real') {
        const timings = await rig.gateway.takeTimings();
        gatewayRequests = { count: gatewayRequests.count + timings.request.count, totalMs: gatewayRequests.totalMs + timings.request.totalMs };
        gatewaySignals = { count: gatewaySignals.count + timings.signalWithStart.count, totalMs: gatewaySignals.totalMs + timings.signalWithStart.totalMs };
      }
      leftovers.push(...credits);
      latencyRuns[path].push(result);
      const stats = pathStats([], [result]);
      log(`open loop round ${round + 1}/${s.rounds} ${path}: p50 ${stats.p50Ms.toFixed(1)} ms, p99 ${stats.p99Ms.toFixed(1)} ms`);
      await settle();
    }
  }
  const real = new Set(rig.handedOut.real);
  await terminateUnsent(rig, leftovers.filter((c) => c.sentAt === undefined && real.has(c)));
  return {
    throughputRuns,
    latencyRuns,
    rate,
    latencyTotalSec,
    gatewayInMs: gatewayRequests.totalMs / Math.max(1, gatewayRequests.count),
    gatewaySignalMs: gatewaySignals.totalMs / Math.max(1, gatewaySignals.count),
  };
}

interface LedgerCheck {
  sent: number;
  exactlyOnce: number;
  missing: number;
  duplicated: number;
}

/** Every credit sent (warm-up included) against the ledger: one row per distinct event, none missing or doubled. */
async function checkLedger(rig: Rig): Promise<Record<PathName, LedgerCheck>> {
  const check = async (credits: Credit[]): Promise<LedgerCheck> => {
    const keys = [...new Set(credits.filter((c) => c.sentAt !== undefined).map((c) => c.key))];
    const counts = await ledgerRowsPerKey(rig.db, BENCH_TENANT_ID, keys);
    const values = keys.map((k) => counts.get(k) ?? 0);
    return {
      sent: keys.length,
      exactlyOnce: values.filter((n) => n === 1).length,
      missing: values.filter((n) => n === 0).length,
      duplicated: values.filter((n) => n > 1).length,
    };
  };
  return { real: await check(rig.handedOut.real), baseline: await check(rig.handedOut.baseline) };
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
const ratioOf = (value: number, baseline: number) => (Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0 ? round(value / baseline, 3) : null);
const median = (values: number[]) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

function buildRows(stats: Record<PathName, PathStats>, ledger: Record<PathName, LedgerCheck>, breakdown: Record<PathName, Breakdown>, rate: number): Row[] {
  const { real, baseline } = stats;
  const rows: Row[] = [
    {
      name: 'latency: credits/s, webhook → ledger commit / least Temporal app',
      value: round(real.creditsPerSec, 1),
      unit: 'credits/s',
      baseline: round(baseline.creditsPerSec, 1),
      ratio: ratioOf(real.creditsPerSec, baseline.creditsPerSec),
      target: 0.8,
    },
    {
      name: 'latency: p50 send → ledger commit (open loop)',
      value: round(real.p50Ms, 1),
      unit: 'ms',
      baseline: round(baseline.p50Ms, 1),
      ratio: ratioOf(real.p50Ms, baseline.p50Ms),
      target: null,
    },
    {
      name: 'latency: p99 send → ledger commit (open loop)',
      value: round(real.p99Ms, 1),
      unit: 'ms',
      baseline: round(baseline.p99Ms, 1),
      ratio: ratioOf(real.p99Ms, baseline.p99Ms),
      target: 1.5,
      targetIs: 'max',
    },
    { name: 'latency: offered rate of the open loop', value: rate, unit: 'credits/s', baseline: null, ratio: null, target: null },
    // The sender's wait: the webhook's 200 (real) or workflow.start returning (baseline); Stripe waits for the former.
    { name: 'latency: ack p50 (webhook 200 / start returned)', value: round(real.ackP50Ms, 2), unit: 'ms', baseline: round(baseline.ackP50Ms, 2), ratio: null, target: null },
    { name: 'latency: ack p99 (webhook 200 / start returned)', value: round(real.ackP99Ms, 2), unit: 'ms', baseline: round(baseline.ackP99Ms, 2), ratio: null, target: null },
  ];
  for (const path of ['real', 'baseline'] as const) {
    const l = ledger[path];
    const label = path === 'real' ? 'real path' : 'baseline';
    rows.push({ name: `latency: ${label} events sent (distinct)`, value: l.sent, unit: 'events', baseline: null, ratio: null, target: null });
    rows.push({
      name: `latency: ${label} events credited exactly once / sent`,
      value: l.exactlyOnce,
      unit: 'events',
      baseline: l.sent,
      ratio: ratioOf(l.exactlyOnce, l.sent),
      target: 1,
    });
  }
  for (const segment of SEGMENTS.slice(1)) {
    const value = median(breakdown.real[segment]);
    const base = median(breakdown.baseline[segment]);
    if (!Number.isFinite(value) && !Number.isFinite(base)) continue;
    rows.push({ name: `latency: breakdown p50 ${segment}`, value: round(value, 2), unit: 'ms', baseline: round(base, 2), ratio: null, target: null });
  }
  return rows;
}

function formatTable(
  stats: Record<PathName, PathStats>,
  ledger: Record<PathName, LedgerCheck>,
  { breakdown, tail }: Record<'breakdown' | 'tail', Record<PathName, Breakdown>>,
  rows: Row[],
  s: Settings,
  { rate, latencyTotalSec }: { rate: number; latencyTotalSec: number },
  gatewayNote: string,
): string {
  const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const header = ['path', 'credits/s', 'p50 ms', 'p99 ms', 'n (p50, p99)', 'ack p50', 'sent', 'once', 'missing', 'doubled', 'failed'];
  const body = (['real', 'baseline'] as const).map((path) => {
    const st = stats[path];
    const l = ledger[path];
    return [
      path === 'real' ? REAL : BASELINE,
      fmt(st.creditsPerSec),
      fmt(st.p50Ms),
      fmt(st.p99Ms),
      `${st.latencyCommitted}/${st.latencySent}`,
      fmt(st.ackP50Ms, 2),
      String(l.sent),
      String(l.exactlyOnce),
      String(l.missing),
      String(l.duplicated),
      String(st.failures),
    ];
  });
  const segHeader = ['where the time goes (ms)', 'real p50', 'real slowest', 'baseline p50', 'baseline slowest'];
  const mean = (v: number[]) => (v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length);
  const segBody = SEGMENTS.map((segment) => [
    segment,
    fmt(median(breakdown.real[segment]), 2),
    fmt(mean(tail.real[segment]), 2),
    fmt(median(breakdown.baseline[segment]), 2),
    fmt(mean(tail.baseline[segment]), 2),
  ]);
  const lines = [
    `money latency: credits/s from a closed loop (${s.concurrency} in flight, ${s.throughputSec}s per path), send → ledger commit from an open loop ` +
      `at ${rate} credits/s (${latencyTotalSec.toFixed(0)}s per path), ${s.rounds} interleaved rounds`,
    ...table(header, body),
    '',
    ...rows.filter((r) => r.target !== null).map(verdictLine),
    '',
    ...table(segHeader, segBody),
    `(p50 over ${breakdown.real['send → event in Temporal'].length} real and ${breakdown.baseline['send → event in Temporal'].length} baseline open-loop credits picked evenly; ` +
      `"slowest": the mean over each path's ${tail.real['send → event in Temporal'].length} slowest, where its p99 comes from)`,
    gatewayNote,
  ];
  const fewest = Math.min(stats.real.latencyCommitted, stats.baseline.latencyCommitted);
  if (fewest < 200) lines.push(`note: p99 of ${fewest} credits is close to their maximum; raise BENCH_LATENCY_SECONDS or BENCH_LATENCY_RATE for a steadier p99`);
  for (const path of ['real', 'baseline'] as const) {
    if (stats[path].firstFailure) lines.push(`note: ${path}: ${stats[path].failures} failed or not committed; first: ${stats[path].firstFailure}`);
  }
  return lines.join('\n');
}

function table(header: string[], body: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}
