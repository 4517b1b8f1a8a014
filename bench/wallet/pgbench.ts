/**
 * The baseline: pgbench running the statements one app spend sends (captured, bench/wallet/capture.ts) with the
 * same number of clients, in extended query protocol like node-postgres (an unnamed statement parsed, bound and
 * executed each time, parameters as untyped text), one thread like the app's one event loop.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CapturedStatement } from './capture.js';
import { PGBENCH_KEY_COMMANDS } from './keys.js';

const execFileAsync = promisify(execFile);

/** pgbench from PATH, or undefined. */
export async function findPgbench(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'pgbench');
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory: try the next
    }
  }
  return undefined;
}

export interface PgbenchScript {
  text: string;
  /** -D variables for the fixed parameters (tenant, account, amount, …). */
  variables: Record<string, string>;
}

/** The captured statements with the sample source key as :key and every other parameter as a -D variable. */
export function pgbenchScript(statements: CapturedStatement[], sampleKey: string): PgbenchScript {
  const variables: Record<string, string> = {};
  const names = new Map<string, string>();
  const lines = [...PGBENCH_KEY_COMMANDS];
  for (const { text, params } of statements) {
    if (text.includes('\n') || text.includes(';')) throw new Error(`pgbench script: cannot put this statement on one line: ${text}`);
    const sql = text.replace(/\$(\d+)/g, (_, index: string) => {
      const value = params[Number(index) - 1];
      if (value === sampleKey) return ':key';
      if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`pgbench script: parameter $${index} is ${typeof value}`);
      const key = String(value);
      let name = names.get(key);
      if (!name) {
        name = `p${names.size + 1}`;
        names.set(key, name);
        variables[name] = key;
      }
      return `:${name}`;
    });
    lines.push(`${sql};`);
  }
  return { text: `${lines.join('\n')}\n`, variables };
}

export interface PgbenchRun {
  tps: number;
  processed: number;
  latencyAvgMs: number;
}

/** The libpq environment for a postgres:// URL, so the password never appears on a command line. */
function libpqEnv(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  const env: Record<string, string> = {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)),
  };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

function numberAfter(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  if (!match) throw new Error(`pgbench output has no match for ${pattern}:\n${output}`);
  return Number(match[1]);
}

export async function runPgbench(opts: {
  executable: string;
  databaseUrl: string;
  scriptFile: string;
  script: PgbenchScript;
  clients: number;
  seconds: number;
  run: number;
}): Promise<PgbenchRun> {
  await writeFile(opts.scriptFile, opts.script.text);
  const defines = Object.entries({ ...opts.script.variables, run: String(opts.run), n: '0' }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const args = ['-n', '-M', 'extended', '-c', String(opts.clients), '-j', '1', '-T', String(opts.seconds), '-f', opts.scriptFile, ...defines];
  const { stdout } = await execFileAsync(opts.executable, args, {
    env: { ...process.env, ...libpqEnv(opts.databaseUrl) },
    maxBuffer: 16 * 1024 * 1024,
    timeout: (opts.seconds + 60) * 1000,
  });
  const processed = numberAfter(stdout, /^number of transactions actually processed: (\d+)/m);
  // A run whose clients spent all of -T connecting prints no rates (a warm-up on a busy machine can).
  if (processed === 0) return { tps: 0, processed, latencyAvgMs: Number.NaN };
  return {
    tps: numberAfter(stdout, /^tps = ([\d.]+) \(without initial connection time\)/m),
    processed,
    latencyAvgMs: numberAfter(stdout, /^latency average = ([\d.]+) ms/m),
  };
}
