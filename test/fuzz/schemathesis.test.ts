/**
 * Fuzz gate: schemathesis (pinned in src/tools/resolve.ts, installed into .tools/ on first use) generates requests from
 * the gateway's own /openapi.json and checks every answer against the document: no 5xx, only documented status codes
 * and content types, bodies matching their schemas. The gateway is the test stack's (createTestApp, worker running),
 * with an admin API key of a tenant of its own and the write rate limit raised for this run only.
 *
 * Bounded by schemathesis' --max-time (FUZZ_SECONDS). The console report and a JUnit file land in
 * .data/schemathesis/ (SCHEMATHESIS_REPORT_DIR overrides); on failure the report is the assertion message.
 * SCHEMATHESIS_SEED=<n> replays a run (the seed is printed in the report).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/db/api-keys.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { PROJECT_ROOT, resolveTool, toolEnv } from '../../src/tools/resolve.js';
import { createTestApp, FRONTEND_ORIGIN, type TestApp } from '../helpers/app-context.js';
import { getStack } from '../helpers/stack.js';

const FUZZ_SECONDS = 150;
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
const REPORT_DIR = path.resolve(PROJECT_ROOT, process.env.SCHEMATHESIS_REPORT_DIR ?? '.data/schemathesis');
const FUZZ_TENANT = 'fuzz';

let app: TestApp | undefined;
let st: string;
let apiKey: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // First use on a clean clone: pip installs schemathesis into .tools/ (about 20 s with a warm network).
  st = await resolveTool('schemathesis', { install: true, log: (msg) => process.stderr.write(`[tools] ${msg}\n`) });
  app = await createTestApp({
    RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    // Configured, so Connect and the payments config answer instead of 503 *_not_configured (a 5xx fails the run).
    STRIPE_PUBLISHABLE_KEY: 'pk_test_fuzz',
    STRIPE_CONNECT_CLIENT_ID: 'ca_fuzz',
    STRIPE_CONNECT_BASE_URL: getStack().stripe.url,
  });
  await app.startWorker();
  await ensureTenant(app.db, { id: FUZZ_TENANT, name: 'Fuzz tenant' });
  apiKey = (await createApiKey(app.db, { tenantId: FUZZ_TENANT, name: 'schemathesis', role: 'admin' })).key;
}, 600_000);

afterAll(async () => {
  if (child?.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  await app?.close();
});

function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(st, args, {
      cwd: REPORT_DIR,
      env: toolEnv(st, { ...process.env, NO_COLOR: '1', COLUMNS: '120', PYTHONIOENCODING: 'utf-8' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, output }));
  });
}

describe('schemathesis against the gateway', () => {
  it(
    `finds no server errors or deviations from /openapi.json in ${FUZZ_SECONDS} s`,
    async () => {
      await mkdir(REPORT_DIR, { recursive: true });
      const args = [
        'run',
        `${app!.baseUrl}/openapi.json`,
        '--url',
        app!.baseUrl,
        '--checks',
        CHECKS.join(','),
        '--max-time',
        String(FUZZ_SECONDS),
        '--max-examples',
        '50',
        // One worker: hypothesis parses lambdas with `ast` in every worker thread, and CPython 3.11/3.12's ast is
        // not thread-safe ("AST constructor recursion depth mismatch", python/cpython#106905).
        '--workers',
        '1',
        // Signed webhooks only ever answer 400/403 without a valid signature (documented; nothing to learn here).
        '--exclude-path-regex',
        '^/v1/webhooks/',
        '--request-timeout',
        '30',
        '--header',
        `Authorization: Bearer ${apiKey}`,
        // The allow-listed frontend, so the browser-facing routes (subscription checkout, billing portal) get past 403.
        '--header',
        `Origin: ${FRONTEND_ORIGIN}`,
        '--generation-database',
        'none',
        '--report',
        'junit',
        '--report-junit-path',
        path.join(REPORT_DIR, 'junit.xml'),
        '--no-color',
        ...(process.env.SCHEMATHESIS_SEED ? ['--seed', process.env.SCHEMATHESIS_SEED] : []),
      ];
      const { code, output } = await runSchemathesis(args);
      const shown = args.map((a) => (a.startsWith('Authorization:') ? 'Authorization: Bearer <fuzz admin key>' : a));
      const printable = `$ st ${shown.map((a) => (/[\s^]/.test(a) ? `'${a}'` : a)).join(' ')}\n\n${output}`;
      await writeFile(path.join(REPORT_DIR, 'output.txt'), printable);
      const summary = output.slice(Math.max(0, output.lastIndexOf('SUMMARY') - 40)).trim();
      process.stdout.write(`\nschemathesis (report in ${path.relative(PROJECT_ROOT, REPORT_DIR)}/):\n${summary}\n`);
      if (code !== 0) expect.fail(`schemathesis exited with ${code}; its report (also in ${REPORT_DIR}/output.txt):\n\n${printable}`);
    },
    6 * 60_000,
  );
});
