/** The one hot wallet every spender in the group debits, and its state for the exactly-once check. */
import { appendLedgerEntry, getBalance, type NewLedgerEntry } from '../../src/db/ledger.js';
import type { DbExecutor } from '../../src/db/schema.js';
import { ensureTenant } from '../../src/db/tenants.js';
import { toSafeInteger } from '../../src/domain/money.js';

export interface Wallet {
  tenantId: string;
  accountId: string;
  currency: string;
}

/** A tenant per bench run, so source keys never collide with an earlier run's on a reused DATABASE_URL. */
export const hotWallet = (started: Date): Wallet => ({ tenantId: `bench-wallet-${started.getTime()}`, accountId: 'hot-wallet', currency: 'usd' });

/** Minor units per spend; the same in every scenario, so spends × amount is what the balance must have lost. */
export const SPEND_AMOUNT = 1;
export const SPEND_DESCRIPTION = 'bench spend';

/** A spend on the hot wallet under `sourceKey`: the entry POST /v1/credits/spend appends. */
export const spendEntry = (wallet: Wallet, sourceKey: string): NewLedgerEntry => ({
  ...wallet,
  kind: 'spend',
  amount: -SPEND_AMOUNT,
  sourceKey,
  description: SPEND_DESCRIPTION,
});

/** Creates the tenant and grants the wallet `balance` (no other entry may exist yet). */
export async function fundWallet(db: DbExecutor, wallet: Wallet, balance: number): Promise<void> {
  await ensureTenant(db, { id: wallet.tenantId, name: 'Bench hot wallet' });
  await appendLedgerEntry(db, { ...wallet, kind: 'grant', amount: balance, sourceKey: 'bench:funding', description: 'bench funding' });
}

export interface WalletState {
  balance: number;
  spends: number;
  /** Sum of the spends' amounts, positive. */
  spent: number;
}

export async function walletState(db: DbExecutor, wallet: Wallet): Promise<WalletState> {
  const row = await db
    .selectFrom('credit_ledger')
    .select((eb) => [eb.fn.countAll<string>().as('spends'), eb.fn.coalesce(eb.fn.sum<string>('amount'), eb.lit(0)).as('total')])
    .where('tenant_id', '=', wallet.tenantId)
    .where('account_id', '=', wallet.accountId)
    .where('currency', '=', wallet.currency)
    .where('kind', '=', 'spend')
    .executeTakeFirstOrThrow();
  return {
    balance: await getBalance(db, wallet.tenantId, wallet.accountId, wallet.currency),
    spends: toSafeInteger(row.spends),
    spent: -toSafeInteger(row.total),
  };
}
