import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** bigint columns come back from pg as strings; we convert at the repository edge. */
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  stripe_account_id: string | null;
  created_at: CreatedAt;
}

export type ApiKeyRole = 'admin' | 'member';

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  role: ApiKeyRole;
  key_hash: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export type TopUpStatus = 'pending' | 'processing' | 'credited' | 'expired' | 'failed';

export interface TopUpsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  amount: BigIntColumn;
  currency: string;
  status: TopUpStatus;
  checkout_session_id: string | null;
  credited_amount: BigIntColumn | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CreditBalancesTable {
  tenant_id: string;
  account_id: string;
  currency: string;
  balance: BigIntColumn;
  updated_at: UpdatedAt;
}

export type LedgerKind = 'top_up' | 'spend' | 'grant' | 'subscription_cycle';

export interface CreditLedgerTable {
  id: Generated<string>;
  tenant_id: string;
  account_id: string;
  currency: string;
  kind: LedgerKind;
  amount: BigIntColumn;
  balance_after: BigIntColumn;
  source_key: string;
  description: string | null;
  created_at: CreatedAt;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  top_ups: TopUpsTable;
  credit_balances: CreditBalancesTable;
  credit_ledger: CreditLedgerTable;
}

export type LedgerRow = Selectable<CreditLedgerTable>;
export type NewTopUp = Insertable<TopUpsTable>;
