import type { ColumnType } from 'kysely';
import type { CampaignStatus, PaidVia, RecoveryItemKind, RecoveryMessageRecord } from '../../domain/recovery/contracts.js';
import type { RecoverySchedule } from '../../domain/recovery/schedule.js';
import type { BigIntColumn, CreatedAt, Json, NullableBigInt, Timestamp, UpdatedAt } from './columns.js';

export type RecoveryTables = {
  recovery_campaigns: {
    tenant_id: string;
    id: string;
    item_kind: RecoveryItemKind;
    item_ref: string;
    amount: BigIntColumn;
    currency: string;
    customer_email: string | null;
    customer_phone: string | null;
    customer_time_zone: string | null;
    customer_id: string | null;
    status: ColumnType<CampaignStatus, CampaignStatus | undefined, CampaignStatus>;
    attempts: ColumnType<number, number | undefined, number>;
    next_step_at: Timestamp | null;
    recovered_amount: NullableBigInt;
    paid_at: Timestamp | null;
    paid_via: PaidVia | null;
    messages: Json<RecoveryMessageRecord[]>;
    metadata: Json<Record<string, string>>;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
  recovery_schedules: {
    tenant_id: string;
    schedule: Json<{ steps: RecoverySchedule['steps'] }>;
    quiet_hours_start: string | null;
    quiet_hours_end: string | null;
    max_attempts: number;
    expiry_days: number;
    updated_at: UpdatedAt;
  };
};
