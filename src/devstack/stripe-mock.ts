/** stripe-mock (https://github.com/stripe/stripe-mock): a local fake of the Stripe API over plain HTTP. */
import { resolveTool } from '../tools/resolve.js';
import { findFreePort, LOCALHOST, pollUntil } from './ports.js';
import { raceWithExit, spawnProcess, type Output } from './processes.js';

export interface StartStripeMockOptions {
  port?: number;
  /** Path to stripe-mock; resolved (and installed if needed) via resolveTool when omitted. */
  executable?: string;
  output?: Output;
  /** Append the tool's own output to this file instead of the console (see SpawnOptions.logFile). */
  logFile?: string;
  log?: (msg: string) => void;
}

export interface RunningStripeMock {
  host: string;
  port: number;
  /** Always 'http' (stripe-mock is started without TLS). */
  protocol: 'http';
  /** http://host:port */
  url: string;
  executable: string;
  stop(): Promise<void>;
}

/** Env for src/config.ts that points the Stripe SDK at this mock. */
export function stripeMockEnv(mock: Pick<RunningStripeMock, 'host' | 'port'>): Record<string, string> {
  return { STRIPE_API_HOST: mock.host, STRIPE_API_PORT: String(mock.port), STRIPE_API_PROTOCOL: 'http' };
}

export async function startStripeMock(opts: StartStripeMockOptions = {}): Promise<RunningStripeMock> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`[stripe-mock] ${msg}\n`));
  const executable = opts.executable ?? (await resolveTool('stripe-mock', { log }));
  const port = await findFreePort(opts.port);
  const proc = spawnProcess({
    name: 'stripe-mock',
    command: executable,
    // Without -https-addr it also binds HTTPS on [::]:12112, so two instances would collide.
    args: ['-http-addr', `${LOCALHOST}:${port}`, '-https-addr', `${LOCALHOST}:0`],
    output: opts.output,
    logFile: opts.logFile,
    stopTimeoutMs: 5000,
  });
  const url = `http://${LOCALHOST}:${port}`;
  try {
    await raceWithExit(
      proc,
      pollUntil(
        async () => {
          const res = await fetch(`${url}/v1/balance`, { headers: { Authorization: 'Bearer sk_test_123' } });
          await res.arrayBuffer();
          return res.status < 500 ? true : undefined;
        },
        `stripe-mock on ${url}`,
        30_000,
        100,
      ),
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { host: LOCALHOST, port, protocol: 'http', url, executable, stop: () => proc.stop() };
}
