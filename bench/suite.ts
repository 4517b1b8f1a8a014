/**
 * Group `suite` (only when named in BENCH_ONLY): the wall time of `npm test` on this machine, global setup (tools,
 * PostgreSQL, Temporal, stripe-mock, the workflow bundle) included. A measurement, never a target: no test asserts a
 * timing. The suite's own output goes to a file in the system temp directory so the bench's table stays readable.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface SuiteRun {
  wallSec: number;
  exitCode: number | null;
  /** The summary line the suite's reporter prints ("N passed, M failed, K skipped"), if found. */
  summary?: string;
  logFile: string;
}

/** `args` is for checking this module on one file (`npm test -- <file>`); the bench runs the whole suite. */
export async function measureSuite(args: string[] = []): Promise<SuiteRun> {
  const logFile = path.join(os.tmpdir(), `payments-bench-suite-${process.pid}.log`);
  const out = createWriteStream(logFile);
  let tail = '';
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['test', ...(args.length > 0 ? ['--', ...args] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const keep = (chunk: Buffer) => {
      out.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise<void>((resolve) => out.end(resolve));
  const summary = tail.match(/^\s*(\d+ passed, \d+ failed, \d+ skipped.*)$/m)?.[1];
  return { wallSec, exitCode, summary, logFile };
}

export function suiteRows(run: SuiteRun): Row[] {
  return [{ name: 'npm test wall time', value: Number(run.wallSec.toFixed(1)), unit: 's', baseline: null, ratio: null, target: null }];
}

export function formatSuite(run: SuiteRun): string {
  return (
    `npm test: ${run.wallSec.toFixed(1)} s wall, exit ${run.exitCode}${run.summary ? `, ${run.summary}` : ''}` +
    ` (output in ${run.logFile})`
  );
}
