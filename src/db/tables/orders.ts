import type { ColumnType, RawBuilder } from 'kysely';
import type { OrderStatus, RefundReason, RefundStatus } from '../../domain/order/contracts.js';
import type { BigIntColumn, CreatedAt, UpdatedAt } from './columns.js';

export interface OrdersTable {
  tenant_id: string;
  id: string;
  customer_id: string | null;
  receipt_email: string | null;
  description: string | null;
  amount: BigIntColumn;
  currency: string;
  status: OrderStatus;
  current_attempt: ColumnType<number, number | undefined, number>;
  payment_intent_id: string | null;
  captured_amount: ColumnType<string, number | undefined, number | string>;
  refunded_total: ColumnType<string, number | undefined, number | string | RawBuilder<unknown>>;
  paid_at: Date | null;
  /** Migration 0013: the account the order's Stripe objects live in; null = the platform account. */
  stripe_account_id: ColumnType<string | null, string | null | undefined | RawBuilder<unknown>, never>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrderPaymentsTable {
  tenant_id: string;
  order_id: string;
  attempt: number;
  payment_intent_id: string;
  status: string;
  amount: BigIntColumn;
  currency: string;
  amount_received: BigIntColumn | null;
  failure_message: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrderRefundsTable {
  tenant_id: string;
  id: string;
  order_id: string;
  request_key: string;
  idempotency_key: string;
  payment_intent_id: string;
  stripe_refund_id: string | null;
  amount: BigIntColumn;
  currency: string;
  reason: RefundReason;
  note: string | null;
  status: RefundStatus;
  failure_reason: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type OrderTables = {
  orders: OrdersTable;
  order_payments: OrderPaymentsTable;
  order_refunds: OrderRefundsTable;
};
