/**
 * Load generators: autocannon against an HTTP server in a child process, and a raw Temporal signalWithStart loop.
 * Both report completed events/s and ack latency percentiles (ms, from our own float measurements: autocannon's
 * histogram only has whole-millisecond resolution).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import autocannon from 'autocannon';
import { STRIPE_WEBHOOK_PATH } from '../src/gateway/routes/webhooks.js';
import { checkoutSessionEventSignal } from '../workflows/top-up/messages.js';
import { topUpWorkflow } from '../workflows/top-up/workflow.js';
import type { RetrySchedule } from '../src/domain/retry/schedule.js';
import { BENCH_TENANT_ID, type SignedEvent } from './events.js';
import type { ChildMessage, ParentMessage, ServerMode, ServerTimings } from './server.js';

/** One fixed-duration measurement. */
export interface LoadRun {
  /** Successful (2xx / resolved) events. */
  ok: number;
  failed: number;
  durationSec: number;
  /** Ack latency of every successful event, ms, unsorted. */
  latencies: Float64Array;
  /** First failure, for the report. */
  firstFailure?: string;
  /** The event pool was exhausted and cycled (some event ids sent twice). */
  wrapped: boolean;
  /** gateway-full: time spent inside the gateway process during this run. */
  server?: ServerTimings;
}

/** Mean ack latency split by where the time went (gateway-full only). */
export interface LatencyBreakdown {
  ackMeanMs: number;
  /** Inside the gateway process, request parsed to response written. */
  inGatewayMeanMs: number;
  /** The part of that spent waiting for Temporal's signalWithStart. */
  signalWithStartMeanMs: number;
}

/** Several runs of one scenario (e.g. interleaved rounds) combined. */
export interface LoadResult {
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  durationSec: number;
  firstFailure?: string;
  wrapped: boolean;
  breakdown?: LatencyBreakdown;
}

const mean = (values: Float64Array) => (values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length);

function breakdownOf(runs: LoadRun[], latencies: Float64Array): LatencyBreakdown | undefined {
  const timed = runs.filter((r) => r.server);
  if (timed.length === 0) return undefined;
  const total = (pick: (t: ServerTimings) => { count: number; totalMs: number }) => {
    const spans = timed.map((r) => pick(r.server!));
    const count = spans.reduce((sum, s) => sum + s.count, 0);
    return count === 0 ? Number.NaN : spans.reduce((sum, s) => sum + s.totalMs, 0) / count;
  };
  return { ackMeanMs: mean(latencies), inGatewayMeanMs: total((t) => t.request), signalWithStartMeanMs: total((t) => t.signalWithStart) };
}

export function summarize(runs: LoadRun[]): LoadResult {
  const ok = runs.reduce((sum, r) => sum + r.ok, 0);
  const durationSec = runs.reduce((sum, r) => sum + r.durationSec, 0);
  const all = new Float64Array(runs.reduce((sum, r) => sum + r.latencies.length, 0));
  let offset = 0;
  for (const r of runs) {
    all.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  all.sort();
  return {
    eventsPerSec: durationSec > 0 ? ok / durationSec : Number.NaN,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    ok,
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    durationSec,
    firstFailure: runs.find((r) => r.firstFailure)?.firstFailure,
    wrapped: runs.some((r) => r.wrapped),
    breakdown: breakdownOf(runs, all),
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private n = 0;
  record(ms: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = ms;
  }
  snapshot(): Float64Array {
    return this.values.slice(0, this.n);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP server under test

export interface ServerHandle {
  url: string;
  /** What the server timed since the last call (zeros except in gateway-full). */
  takeTimings(): Promise<ServerTimings>;
  stop(): Promise<void>;
}

const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url));

export async function startServer(mode: ServerMode, env: Record<string, string>): Promise<ServerHandle> {
  // execArgv is inherited from this process, which tsx started with its loader, so the child can run .ts too.
  // BENCH_SERVER_NODE_ARGS adds flags for the server process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.trim().split(/\s+/).filter(Boolean) ?? [];
  const child: ChildProcess = fork(SERVER_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...extra] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mode} server did not start within 30 s`)), 30_000);
      child.once('exit', (code, signal) => reject(new Error(`${mode} server exited early (${signal ?? `exit ${code}`})`)));
      child.once('message', (message: ChildMessage) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.port);
        else reject(new Error(`${mode} server failed to start: ${message.type === 'error' ? message.message : message.type}`));
      });
      child.send({ type: 'start', mode, env } satisfies ParentMessage);
    });
    const takeTimings = () =>
      new Promise<ServerTimings>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${mode} server did not report its timings`)), 10_000);
        child.once('message', (message: ChildMessage) => {
          clearTimeout(timer);
          if (message.type === 'timings') resolve({ request: message.request, signalWithStart: message.signalWithStart });
          else reject(new Error(`${mode} server sent ${message.type} instead of its timings`));
        });
        child.send({ type: 'timings' } satisfies ParentMessage);
      });
    return { url: `http://127.0.0.1:${port}${STRIPE_WEBHOOK_PATH}`, takeTimings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One request up front, so a misconfigured scenario fails loudly instead of benchmarking 400s. */
export async function probeWebhook(url: string, event: SignedEvent): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
    body: new Uint8Array(event.body),
  });
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (response.status !== 200) throw new Error(`probe got HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export interface HttpLoadOptions {
  url: string;
  events: SignedEvent[];
  connections: number;
  durationSec: number;
}

/** Fixed duration and concurrency; every request takes the next event of the shared pool (distinct ids until it wraps). */
export async function runHttpLoad(opts: HttpLoadOptions): Promise<LoadRun> {
  let next = 0;
  const latencies = new LatencyRecorder();
  let firstFailure: string | undefined;
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        pipelining: 1,
        duration: opts.durationSec,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: STRIPE_WEBHOOK_PATH,
            setupRequest: (request) => {
              const event = opts.events[next++ % opts.events.length]!;
              return {
                ...request,
                method: 'POST',
                path: STRIPE_WEBHOOK_PATH,
                headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
                body: event.body,
              };
            },
            onResponse: (status, body) => {
              if ((status < 200 || status >= 300) && firstFailure === undefined) firstFailure = `HTTP ${status}: ${body.slice(0, 300)}`;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error as Error) : resolve(result)),
    );
  });
  instance!.on('response', (_client, status, _bytes, responseTime) => {
    if (status >= 200 && status < 300) latencies.record(responseTime);
  });
  const result = await done;
  return {
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
    durationSec: result.duration,
    latencies: latencies.snapshot(),
    firstFailure: firstFailure ?? (result.errors > 0 ? `${result.errors} connection errors` : undefined),
    wrapped: next > opts.events.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Raw Temporal client

export interface RawLoadOptions {
  client: Client;
  events: SignedEvent[];
  concurrency: number;
  durationSec: number;
  taskQueue: string;
  retry: RetrySchedule;
}

/** `concurrency` async loops calling signalWithStart exactly as the webhook handler does, for a fixed duration. */
export async function runRawSignalWithStart(opts: RawLoadOptions): Promise<LoadRun> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const latencies = new LatencyRecorder();
  const started = performance.now();
  const end = started + opts.durationSec * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const event = opts.events[next++ % opts.events.length]!;
      const t0 = performance.now();
      try {
        await opts.client.workflow.signalWithStart(topUpWorkflow, {
          workflowId: event.workflowId,
          taskQueue: opts.taskQueue,
          args: [{ tenantId: BENCH_TENANT_ID, topUpId: event.topUpId, retry: opts.retry }],
          signal: checkoutSessionEventSignal,
          signalArgs: [event.signal],
        });
        latencies.record(performance.now() - t0);
        ok++;
      } catch (error) {
        failed++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  return {
    ok,
    failed,
    durationSec: (performance.now() - started) / 1000,
    latencies: latencies.snapshot(),
    firstFailure,
    wrapped: next > opts.events.length,
  };
}
