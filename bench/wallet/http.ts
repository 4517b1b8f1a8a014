/**
 * Informational: the same spends through POST /v1/credits/spend on the real gateway (createApp in its own process,
 * with the gateway's pool: 10 connections), driven by autocannon at the same concurrency. Not the target: it adds
 * HTTP, authentication (an API-key lookup per request) and the write budget on the same 2 CPUs.
 */
import { benchAppEnv } from '../app-env.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { SpendRun } from './spenders.js';
import { SPEND_AMOUNT, SPEND_DESCRIPTION, type Wallet } from './fixture.js';
import type { HttpServerReply, HttpServerRequest } from './http-server.js';

const SERVER_ENTRY = fileURLToPath(new URL('./http-server.ts', import.meta.url));
const SPEND_PATH = '/v1/credits/spend';

/** What loadConfig needs in production; the write budget is lifted so the limiter never answers 429. */
export function gatewayEnv(databaseUrl: string): Record<string, string> {
  return {
    ...benchAppEnv({
      databaseUrl,
      temporalAddress: '127.0.0.1:7233', // never dialled: the spend route does not use Temporal
      taskQueue: 'bench-wallet',
    }),
    RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
  };
}

async function startGateway(env: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }> {
  // execArgv is inherited from this process, which tsx started with its loader, so the child can run .ts too.
  const child: ChildProcess = fork(SERVER_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.execArgv });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' } satisfies HttpServerRequest);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not start within 30 s')), 30_000);
      child.once('exit', (code, signal) => reject(new Error(`gateway exited early (${signal ?? `exit ${code}`})`)));
      child.once('message', (message: HttpServerReply) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve(message.port);
        else reject(new Error(`gateway failed to start: ${message.message}`));
      });
      child.send({ type: 'start', env } satisfies HttpServerRequest);
    });
    return { port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function load(url: string, apiKey: string, body: string, connections: number, seconds: number): Promise<SpendRun> {
  const latencies: number[] = [];
  let firstFailure: string | undefined;
  return new Promise<SpendRun>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: SPEND_PATH,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
            body,
            onResponse: (status, responseBody) => {
              if (status !== 201 && firstFailure === undefined) firstFailure = `HTTP ${status}: ${responseBody.slice(0, 300)}`;
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error as Error);
          return;
        }
        resolve({
          ok: result['2xx'],
          failed: result.non2xx + result.errors + result.timeouts,
          firstFailure: firstFailure ?? (result.errors > 0 ? `${result.errors} connection errors` : undefined),
          durationSec: result.duration,
          latencies,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 201) latencies.push(responseTime);
    });
  });
}

/** Warms the gateway up for `warmupSec`, then measures `seconds`; both runs' spends land on the wallet. */
export async function runHttpSpends(opts: {
  databaseUrl: string;
  wallet: Wallet;
  apiKey: string;
  clients: number;
  warmupSec: number;
  seconds: number;
}): Promise<{ warmup: SpendRun; measured: SpendRun }> {
  const gateway = await startGateway(gatewayEnv(opts.databaseUrl));
  try {
    const url = `http://127.0.0.1:${gateway.port}`;
    const body = JSON.stringify({ account_id: opts.wallet.accountId, amount: SPEND_AMOUNT, currency: opts.wallet.currency, description: SPEND_DESCRIPTION });
    const warmup = await load(url, opts.apiKey, body, opts.clients, opts.warmupSec);
    const measured = await load(url, opts.apiKey, body, opts.clients, opts.seconds);
    return { warmup, measured };
  } finally {
    await gateway.stop();
  }
}
