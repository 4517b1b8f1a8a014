import type { Generated } from 'kysely';
import type { TopUpStatus } from '../../domain/top-up/contracts.js';
import type { BigIntColumn, CreatedAt, UpdatedAt } from './columns.js';

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
