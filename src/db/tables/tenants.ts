import type { ColumnType } from 'kysely';
import type { CreatedAt } from './columns.js';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantsTable {
  id: string;
  name: string;
  stripe_account_id: string | null;
  /** Migration 0004. */
  connected_at: NullableTimestamp;
  disconnected_at: NullableTimestamp;
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
