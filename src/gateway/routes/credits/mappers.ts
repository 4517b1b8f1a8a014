import type { LedgerEntry } from '../../../db/ledger.js';
import type { TopUpRecord } from '../../../db/top-ups.js';

export function ledgerEntryJson(entry: LedgerEntry) {
  return {
    id: entry.id,
    account_id: entry.accountId,
    currency: entry.currency,
    kind: entry.kind,
    amount: entry.amount,
    balance_after: entry.balanceAfter,
    description: entry.description,
    created_at: entry.createdAt,
  };
}

export function topUpJson(topUp: TopUpRecord) {
  return {
    id: topUp.id,
    account_id: topUp.accountId,
    amount: topUp.amount,
    currency: topUp.currency,
    status: topUp.status,
    credited_amount: topUp.creditedAmount,
  };
}
