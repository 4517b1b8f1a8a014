import type { DbExecutor } from './schema.js';
import { recoverable } from './atomic.js';
import { PG_CHECK_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode } from './errors.js';
import type { LedgerKind, LedgerRow } from './schema.js';
import { toSafeInteger } from '../domain/money.js';

export class InsufficientBalanceError extends Error {
  constructor(readonly balance: number, readonly requested: number) {
    super(`insufficient balance: ${balance} available, ${requested} requested`);
    this.name = 'InsufficientBalanceError';
  }
}

/** The same source key was used before for a different entry. */
export class SourceKeyConflictError extends Error {
  constructor(readonly sourceKey: string) {
    super(`source key ${sourceKey} was already used for a different entry`);
    this.name = 'SourceKeyConflictError';
  }
}

export interface LedgerEntry {
  id: string;
  accountId: string;
  currency: string;
  kind: LedgerKind;
  amount: number;
  balanceAfter: number;
  sourceKey: string;
  description: string | null;
  createdAt: string;
}

export interface NewLedgerEntry {
  tenantId: string;
  accountId: string;
  currency: string;
  kind: LedgerKind;
  /** Signed minor units: positive credits, negative debits. */
  amount: number;
  /** Unique per tenant: the event, session or request that caused this entry. */
  sourceKey: string;
  description?: string;
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    accountId: row.account_id,
    currency: row.currency,
    kind: row.kind,
    amount: toSafeInteger(row.amount),
    balanceAfter: toSafeInteger(row.balance_after),
    sourceKey: row.source_key,
    description: row.description,
    createdAt: row.created_at.toISOString(),
  };
}

/** The entry a source key made, if any. */
export async function findLedgerEntryBySourceKey(db: DbExecutor, tenantId: string, sourceKey: string): Promise<LedgerEntry | undefined> {
  const row = await db
    .selectFrom('credit_ledger')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('source_key', '=', sourceKey)
    .executeTakeFirst();
  return row ? toEntry(row) : undefined;
}

function sameEntry(existing: LedgerEntry, entry: NewLedgerEntry): boolean {
  return (
    existing.accountId === entry.accountId &&
    existing.currency === entry.currency &&
    existing.kind === entry.kind &&
    existing.amount === entry.amount
  );
}

/** The columns a new ledger row is written with; the trigger sets balance_after. */
function ledgerRow(entry: NewLedgerEntry) {
  return {
    tenant_id: entry.tenantId,
    account_id: entry.accountId,
    currency: entry.currency,
    kind: entry.kind,
    amount: entry.amount,
    balance_after: 0, // overwritten by the trigger
    source_key: entry.sourceKey,
    description: entry.description ?? null,
  };
}

/** A replay returns the entry its source key made; the same key for another entry is a conflict. */
function replayOf(existing: LedgerEntry, entry: NewLedgerEntry): { entry: LedgerEntry; created: boolean } {
  if (!sameEntry(existing, entry)) throw new SourceKeyConflictError(entry.sourceKey);
  return { entry: existing, created: false };
}

/**
 * Appends one entry exactly once per (tenant, source key); the database moves the balance in the same statement.
 * A replay of the same source key returns the original entry with created=false.
 *
 * The insert goes first, with no look-up before it: a new key (nearly every spend) costs one statement, and the
 * unique key answers a replay, whose insert then fails whole, balance move included. On one hot wallet
 * (bench/groups/wallet.ts) a look-up first cost a second round trip and about 300 µs of client CPU per spend.
 */
export async function appendLedgerEntry(db: DbExecutor, entry: NewLedgerEntry): Promise<{ entry: LedgerEntry; created: boolean }> {
  if (!Number.isSafeInteger(entry.amount) || entry.amount === 0) throw new RangeError('amount must be a non-zero integer');
  try {
    // One statement: the ledger's BEFORE INSERT trigger (migration 0016) moves credit_balances and stamps
    // balance_after in the same statement, so balance = sum of entries by construction.
    // Recoverable: inside a caller's transaction a unique or check violation must not abort it before the reads below.
    const row = await recoverable(db, (step) =>
      step
        .insertInto('credit_ledger')
        .values(ledgerRow(entry))
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    const created = toEntry(row);
    return { entry: created, created: true };
  } catch (error) {
    const code = pgErrorCode(error);
    if (code === PG_UNIQUE_VIOLATION) {
      // A replay, or a concurrent append with the same source key that won; ours rolled back whole.
      const winner = await findLedgerEntryBySourceKey(db, entry.tenantId, entry.sourceKey);
      if (!winner) throw new SourceKeyConflictError(entry.sourceKey);
      return replayOf(winner, entry);
    }
    if (code === PG_CHECK_VIOLATION) {
      // The trigger moves the balance before the unique key is checked, so a replay of a spend that no longer fits
      // the balance fails here: it still answers with its original entry.
      const earlier = await findLedgerEntryBySourceKey(db, entry.tenantId, entry.sourceKey);
      if (earlier) return replayOf(earlier, entry);
      const balance = await getBalance(db, entry.tenantId, entry.accountId, entry.currency);
      throw new InsufficientBalanceError(balance, -entry.amount);
    }
    throw error;
  }
}

/**
 * Appends many entries in one statement, in the order given (imports, seeding): the same rows appendLedgerEntry
 * writes, and the same trigger moves each balance row by row. All or nothing: a reused source key or an overdraft
 * fails the whole batch (no replay answers here; ON CONFLICT cannot be used, the trigger fires before it).
 * `createdAt` backdates an entry; without it the column's default (now()) applies.
 */
export async function appendLedgerEntries(db: DbExecutor, entries: ReadonlyArray<NewLedgerEntry & { createdAt?: Date }>): Promise<number> {
  if (entries.length === 0) return 0;
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.amount) || entry.amount === 0) throw new RangeError('amount must be a non-zero integer');
  }
  const result = await db
    .insertInto('credit_ledger')
    .values(
      entries.map((entry) => ({ ...ledgerRow(entry), ...(entry.createdAt ? { created_at: entry.createdAt } : {}) })),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function getBalance(db: DbExecutor, tenantId: string, accountId: string, currency: string): Promise<number> {
  const row = await db
    .selectFrom('credit_balances')
    .select('balance')
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .where('currency', '=', currency)
    .executeTakeFirst();
  return row ? toSafeInteger(row.balance) : 0;
}

export async function listBalances(db: DbExecutor, tenantId: string, accountId: string): Promise<Array<{ currency: string; balance: number }>> {
  const rows = await db
    .selectFrom('credit_balances')
    .select(['currency', 'balance'])
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .orderBy('currency')
    .execute();
  return rows.map((row) => ({ currency: row.currency, balance: toSafeInteger(row.balance) }));
}

/** Newest first; `before` is the id of the last entry of the previous page. */
export async function listLedgerEntries(
  db: DbExecutor,
  query: { tenantId: string; accountId: string; limit: number; before?: string },
): Promise<LedgerEntry[]> {
  let builder = db
    .selectFrom('credit_ledger')
    .selectAll()
    .where('tenant_id', '=', query.tenantId)
    .where('account_id', '=', query.accountId);
  if (query.before !== undefined) builder = builder.where('id', '<', query.before);
  const rows = await builder.orderBy('id', 'desc').limit(query.limit).execute();
  return rows.map(toEntry);
}
