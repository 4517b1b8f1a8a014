/**
 * The baseline's one activity: the ledger insert the top-up credit makes (src/db/ledger.ts appendLedgerEntry), with
 * nothing around it (no top-up lookup, no status update, no transaction of its own, no keep-alive heartbeat).
 */
import type { Db } from '../../src/db/connection.js';
import { appendLedgerEntry } from '../../src/db/ledger.js';

export interface BenchCreditInput {
  tenantId: string;
  accountId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  sourceKey: string;
}

export function createBenchCreditActivities(db: Db) {
  return {
    async benchCredit(input: BenchCreditInput): Promise<void> {
      await appendLedgerEntry(db, { ...input, kind: 'top_up', description: 'Bench credit' });
    },
  };
}

export type BenchCreditActivities = ReturnType<typeof createBenchCreditActivities>;
