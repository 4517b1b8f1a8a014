import type { ColumnType } from 'kysely';
import type { SubscriptionStatus } from '../../domain/subscription/contracts.js';
import type { BigIntColumn, CreatedAt, Timestamp, UpdatedAt } from './columns.js';

export type SubscriptionTables = {
  subscriptions: {
    tenant_id: string;
    id: string;
    account_id: string | null;
    customer_id: string | null;
    status: SubscriptionStatus;
    price_id: string | null;
    product_id: string | null;
    unit_amount: BigIntColumn | null;
    currency: string | null;
    interval: string | null;
    interval_count: number | null;
    quantity: number | null;
    current_period_start: Timestamp | null;
    current_period_end: Timestamp | null;
    cancel_at_period_end: boolean;
    canceled_at: Timestamp | null;
    /** Unix seconds of the event that set the status (migration 0015). */
    status_at: ColumnType<string, number | undefined, number>;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
  subscription_cycles: {
    tenant_id: string;
    invoice_id: string;
    subscription_id: string;
    status: 'paid' | 'failed';
    price_id: string | null;
    amount_paid: BigIntColumn;
    currency: string | null;
    credits_granted: BigIntColumn;
    period_start: Timestamp | null;
    period_end: Timestamp | null;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
};
