/**
 * Hot wallet (issue 16 part 6): C concurrent spenders on one tenant/account/currency wallet, whose balance row
 * every spend updates, so it is the serialisation point. The value is spends/s through the repository function
 * the spend route calls (appendLedgerEntry, bench/wallet/spenders.ts); the baseline is pgbench running the very
 * statements one spend sends (captured on the wire, bench/wallet/capture.ts) with as many clients, against the
 * same database and wallet. Rounds are interleaved (app, pgbench, pgbench, app) so load drift hits both.
 * Target: app ÷ pgbench >= 0.8, measured twice on the embedded server: with durable commits (a deployment's
 * settings: the row lock is held through each WAL flush) and with fsync off (the rest of the bench stack's
 * settings: nothing but CPU limits a spend). With DATABASE_URL, once, with that server's settings.
 * For context: the same spends through HTTP on createApp (durable phase, not the target), the load generators'
 * CPU per spend, and a check that the final balance is the funding minus every spend, each counted exactly once.
 *
 * Env: BENCH_WALLET_SECONDS (5, seconds per round; 4 rounds per phase), BENCH_WALLET_CLIENTS (16).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '../../src/db/api-keys.js';
import { createDb } from '../../src/db/connection.js';
import { numberFromEnv, type GroupRunner } from '../group.js';
import { captureSpendStatements } from '../wallet/capture.js';
import { fundWallet, hotWallet, walletState } from '../wallet/fixture.js';
import { runHttpSpends } from '../wallet/http.js';
import { MAX_CLIENTS, sourceKey } from '../wallet/keys.js';
import { findPgbench, pgbenchScript, runPgbench } from '../wallet/pgbench.js';
import { runPhase, type Phase } from '../wallet/phase.js';
import { commitSettings, setCommitDurability, startWalletDatabase } from '../wallet/postgres.js';
import { walletReport } from '../wallet/report.js';
import type { SpendRun } from '../wallet/spenders.js';

const FUNDING = 1_000_000_000_000;

export const run: GroupRunner = async ({ log, started }) => {
  const seconds = numberFromEnv('BENCH_WALLET_SECONDS', 5, 1);
  const clients = numberFromEnv('BENCH_WALLET_CLIENTS', 16, 1);
  if (clients > MAX_CLIENTS) throw new Error(`BENCH_WALLET_CLIENTS must be <= ${MAX_CLIENTS}`);

  const wallet = hotWallet(started);
  const database = await startWalletDatabase(log);
  const db = createDb(database.url, { max: 2 });
  let scratch: string | undefined;
  try {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'payments-bench-wallet-'));
    await fundWallet(db, wallet, FUNDING);
    const { key: apiKey } = await createApiKey(db, { tenantId: wallet.tenantId, name: 'bench wallet', role: 'member' });
    let runNumber = 0;
    const nextRun = () => ++runNumber;
    const sampleKey = sourceKey(nextRun(), 0, 1);
    const statements = await captureSpendStatements(database.url, wallet, sampleKey);
    log(`one spend sends ${statements.length} statements: ${statements.map((s) => s.text).join(' | ')}`);

    const executable = await findPgbench();
    const script = pgbenchScript(statements, sampleKey);
    const scriptFile = path.join(scratch, 'spend.sql');
    const pgbench = executable
      ? (secs: number) => runPgbench({ executable, databaseUrl: database.url, scriptFile, script, clients, seconds: secs, run: nextRun() })
      : undefined;
    const phase = async (label: string) =>
      runPhase({ label, settings: await commitSettings(database.url), databaseUrl: database.url, wallet, clients, seconds, pgbench, nextRun, log });

    const httpSeconds = Math.max(1, Math.round(seconds / 2));
    log(`http: createApp, ${clients} connections, ${httpSeconds} s`);
    // Informational: a gateway that fails to start costs the HTTP rows, not the target.
    const http: SpendRun | string = await runHttpSpends({ databaseUrl: database.url, wallet, apiKey, clients, warmupSec: 2, seconds: httpSeconds }).then(
      (result) => result.measured,
      (error: unknown) => {
        log(`http: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return error instanceof Error ? error.message.split('\n')[0]! : String(error);
      },
    );
    // HTTP's last in-flight requests may commit after autocannon stopped counting: the exact count starts here.
    const before = await walletState(db, wallet);

    const phases: Phase[] = [];
    if (database.embedded) {
      phases.push(await phase('durable commits'));
      await setCommitDurability(database.url, false);
      phases.push(await phase('fsync off'));
    } else {
      phases.push(await phase('DATABASE_URL'));
    }
    const after = await walletState(db, wallet);
    return walletReport({
      clients,
      seconds,
      statements,
      script: script.text,
      pgbenchMissing: executable ? undefined : 'pgbench not found on PATH',
      phases,
      http,
      exactlyOnce: { funding: FUNDING, before, after, counted: phases.reduce((sum, p) => sum + p.counted, 0) },
    });
  } finally {
    await db.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    await database.stop();
  }
};
