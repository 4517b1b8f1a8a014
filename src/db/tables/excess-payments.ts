import type { ColumnType } from 'kysely';
import type { RecoveryItemKind } from '../../domain/recovery/contracts.js';
import type { BigIntColumn } from './columns.js';

/** Migration 0010. */
export type ExcessPaymentTables = {
  excess_payments: {
    tenant_id: string;
    payment_intent_id: string;
    item_kind: RecoveryItemKind;
    item_ref: string;
    amount: BigIntColumn;
    currency: string;
    reason: string;
    refund_id: string | null;
    refund_status: ColumnType<string, string | undefined, string>;
    detected_at: ColumnType<Date, Date | string | undefined, never>;
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
};
