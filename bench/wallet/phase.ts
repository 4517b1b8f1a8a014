/**
 * One commit setting's measurement: warm-ups, then interleaved rounds (app, pgbench, pgbench, app) of equal length
 * on the hot wallet, each with the client's CPU time per spend.
 */
import { createDb, type Db } from '../../src/db/connection.js';
import { childrenCpuMs, mainThreadSched, ownCpuMs } from './cpu.js';
import type { Wallet } from './fixture.js';
import type { PgbenchRun } from './pgbench.js';
import { runAppSpenders, type SpendRun } from './spenders.js';

export interface Round {
  side: 'app' | 'pgbench';
  perSec: number;
  /** The load generator's own CPU per spend (Node process, or pgbench), µs; undefined where not measurable. */
  clientCpuUs?: number;
  /** App rounds: share of the round the Node main thread ran, and waited runnable for a CPU (0..1). */
  mainThread?: { running: number; waiting: number };
  spends?: SpendRun;
  pgbench?: PgbenchRun;
}

export interface Phase {
  label: string;
  /** e.g. "fsync on, synchronous_commit on". */
  settings: string;
  rounds: Round[];
  /** Spends the app and pgbench reported in this phase, warm-ups included. */
  counted: number;
}

export interface PhaseOptions {
  label: string;
  settings: string;
  databaseUrl: string;
  wallet: Wallet;
  clients: number;
  seconds: number;
  /** undefined: pgbench is missing, only the app rounds run. */
  pgbench?: (seconds: number) => Promise<PgbenchRun>;
  nextRun: () => number;
  log: (msg: string) => void;
}

const APP_WARMUP_SEC = 2;
const PGBENCH_WARMUP_SEC = 2;

async function appRound(db: Db, opts: PhaseOptions, seconds: number): Promise<Round> {
  const cpuBefore = ownCpuMs();
  const schedBefore = mainThreadSched();
  const spends = await runAppSpenders(db, opts.wallet, { clients: opts.clients, seconds, run: opts.nextRun() });
  const cpuMs = ownCpuMs() - cpuBefore;
  const schedAfter = mainThreadSched();
  const wallMs = spends.durationSec * 1000;
  const mainThread =
    schedBefore && schedAfter
      ? { running: (schedAfter.runningMs - schedBefore.runningMs) / wallMs, waiting: (schedAfter.waitingMs - schedBefore.waitingMs) / wallMs }
      : undefined;
  return { side: 'app', perSec: spends.ok / spends.durationSec, clientCpuUs: (cpuMs * 1000) / spends.ok, mainThread, spends };
}

async function pgbenchRound(pgbench: (seconds: number) => Promise<PgbenchRun>, seconds: number): Promise<Round> {
  const cpuBefore = childrenCpuMs();
  const result = await pgbench(seconds);
  const cpuAfter = childrenCpuMs();
  const clientCpuUs = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / result.processed;
  return { side: 'pgbench', perSec: result.tps, clientCpuUs, pgbench: result };
}

export async function runPhase(opts: PhaseOptions): Promise<Phase> {
  // A pool per phase: its sessions see the commit settings in force now.
  const db = createDb(opts.databaseUrl, { max: opts.clients });
  try {
    let counted = (await appRound(db, opts, APP_WARMUP_SEC)).spends!.ok;
    if (opts.pgbench) counted += (await pgbenchRound(opts.pgbench, PGBENCH_WARMUP_SEC)).pgbench!.processed;
    const rounds: Round[] = [];
    for (const side of ['app', 'pgbench', 'pgbench', 'app'] as const) {
      if (side === 'pgbench' && !opts.pgbench) continue;
      const round = side === 'app' ? await appRound(db, opts, opts.seconds) : await pgbenchRound(opts.pgbench!, opts.seconds);
      counted += round.spends?.ok ?? round.pgbench!.processed;
      rounds.push(round);
      opts.log(`${opts.label}: round ${rounds.length} ${side} ${round.perSec.toFixed(1)} spends/s`);
    }
    return { label: opts.label, settings: opts.settings, rounds, counted };
  } finally {
    await db.destroy();
  }
}
