/**
 * Prism (@stoplight/prism-cli, a dev dependency) serving a mock of the Twilio REST API from Twilio's OpenAPI
 * document, for tests: it validates requests against the spec (required fields, formats, Basic auth) and answers
 * with the spec's example resources. Not part of `npm start` (SMS is only logged there unless Twilio is configured).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../tools/resolve.js';
import { findFreePort, LOCALHOST, pollUntil } from './ports.js';
import { raceWithExit, spawnProcess, type Output } from './processes.js';

export const TWILIO_OPENAPI_SPEC = path.resolve(PROJECT_ROOT, '..', 'shared', 'twilio', 'twilio_api_v2010.json');

export interface StartTwilioMockOptions {
  port?: number;
  /** OpenAPI document to serve (default: ../shared/twilio/twilio_api_v2010.json next to the project). */
  spec?: string;
  output?: Output;
  /** Append the tool's own output to this file instead of the console (see SpawnOptions.logFile). */
  logFile?: string;
  /** Startup limit; Prism parses the 1.8 MB spec first (about 10 s on a small machine). */
  timeoutMs?: number;
}

export interface RunningTwilioMock {
  /** http://127.0.0.1:PORT, for TWILIO_API_BASE_URL. */
  baseUrl: string;
  port: number;
  stop(): Promise<void>;
}

export async function startTwilioMock(opts: StartTwilioMockOptions = {}): Promise<RunningTwilioMock> {
  const spec = opts.spec ?? TWILIO_OPENAPI_SPEC;
  if (!existsSync(spec)) throw new Error(`Twilio OpenAPI document not found at ${spec}`);
  const executable = path.join(PROJECT_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'prism.cmd' : 'prism');
  if (!existsSync(executable)) throw new Error(`Prism is not installed (${executable}); run npm install (it is a dev dependency)`);
  const port = await findFreePort(opts.port);
  const proc = spawnProcess({
    name: 'prism',
    command: executable,
    args: ['mock', '-h', LOCALHOST, '-p', String(port), spec],
    output: opts.output ?? 'quiet',
    logFile: opts.logFile,
    stopTimeoutMs: 5000,
    quietWhileStopping: true,
  });
  const baseUrl = `http://${LOCALHOST}:${port}`;
  try {
    await raceWithExit(
      proc,
      pollUntil(
        async () => {
          // Any HTTP answer (401 without credentials) means the spec is loaded and Prism is serving.
          const res = await fetch(`${baseUrl}/2010-04-01/Accounts.json`);
          await res.arrayBuffer();
          return true;
        },
        `Prism (Twilio mock) on ${baseUrl}`,
        opts.timeoutMs ?? 60_000,
        200,
      ),
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { baseUrl, port, stop: () => proc.stop() };
}
