import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from './columns.js';

/** Migration 0004 (its tenants columns are in TenantsTable). */
export type ConnectTables = {
  connect_oauth_states: {
    nonce_hash: string;
    tenant_id: string;
    subject: string;
    redirect_uri: string;
    created_at: CreatedAt;
    expires_at: ColumnType<Date, Date | string, Date | string>;
    used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
  connect_history: {
    id: Generated<string>;
    tenant_id: string;
    stripe_account_id: string;
    action: 'connected' | 'disconnected';
    source: ConnectSource;
    subject: string | null;
    stripe_event_id: string | null;
    livemode: boolean | null;
    scope: string | null;
    created_at: CreatedAt;
  };
};

export type ConnectSource = 'oauth_callback' | 'api' | 'webhook';
