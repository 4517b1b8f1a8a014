import type { ColumnType } from 'kysely';
import type { CreatedAt, UpdatedAt } from './columns.js';

export type ClientTables = {
  clients: {
    tenant_id: string;
    id: string;
    email: string | null;
    name: string | null;
    phone: string | null;
    stripe_customer_id: string | null;
    /** Migration 0017: the end user (JWT subject) who may see this client's invoices. */
    user_id: ColumnType<string | null, string | null | undefined, string | null>;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
};
