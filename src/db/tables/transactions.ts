import type { ColumnType } from 'kysely';
import type { TransactionStatus } from '../../domain/transaction/contracts.js';
import type { BigIntColumn, CreatedAt, Json, NullableBigInt, UpdatedAt } from './columns.js';

/** Migration 0010. */
export type TransactionTables = {
  transactions: {
    tenant_id: string;
    ref: string;
    amount: BigIntColumn;
    currency: string;
    status: ColumnType<TransactionStatus, TransactionStatus | undefined, TransactionStatus>;
    customer_email: string | null;
    customer_phone: string | null;
    metadata: Json<Record<string, string>>;
    product_id: string | null;
    price_id: string | null;
    payment_link_id: string | null;
    payment_link_url: string | null;
    payment_link_active: boolean | null;
    paid_payment_intent_id: string | null;
    paid_amount: NullableBigInt;
    paid_at: Date | null;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
  transaction_checkout_sessions: {
    tenant_id: string;
    session_id: string;
    transaction_ref: string;
    seq: number;
    url: string | null;
    payment_intent_id: string | null;
    expires_at: Date;
    created_at: CreatedAt;
  };
  transaction_payments: {
    tenant_id: string;
    payment_intent_id: string;
    transaction_ref: string;
    checkout_session_id: string | null;
    status: 'succeeded' | 'failed';
    amount: BigIntColumn;
    currency: string;
    failure_message: string | null;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
};
