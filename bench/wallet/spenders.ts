/**
 * C concurrent spenders calling the repository function the spend route calls (appendLedgerEntry on the app's
 * pool, so each statement commits on its own, as behind POST /v1/credits/spend), for a fixed duration.
 */
import { appendLedgerEntry } from '../../src/db/ledger.js';
import type { Db } from '../../src/db/connection.js';
import { spendEntry, type Wallet } from './fixture.js';
import { sourceKey } from './keys.js';

export interface SpendRun {
  ok: number;
  failed: number;
  firstFailure?: string;
  durationSec: number;
  /** ms per successful spend, unsorted. */
  latencies: number[];
}

/** Runs `clients` loops of one spend after another until `seconds` have passed; the last spends finish. */
export async function runAppSpenders(db: Db, wallet: Wallet, opts: { clients: number; seconds: number; run: number }): Promise<SpendRun> {
  const result: SpendRun = { ok: 0, failed: 0, durationSec: 0, latencies: [] };
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  const spender = async (client: number) => {
    for (let n = 1; performance.now() < deadline; n++) {
      const begun = performance.now();
      try {
        await appendLedgerEntry(db, spendEntry(wallet, sourceKey(opts.run, client, n)));
        result.latencies.push(performance.now() - begun);
        result.ok++;
      } catch (error) {
        result.failed++;
        result.firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, client) => spender(client)));
  result.durationSec = (performance.now() - started) / 1000;
  return result;
}
