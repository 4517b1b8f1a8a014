import type { ColumnType } from 'kysely';
import type { InvoiceSource, InvoiceStatus, OverdueReason, StripeInvoiceStatus } from '../../domain/invoice/contracts.js';
import type { BigIntColumn, CreatedAt, Timestamp, UpdatedAt } from './columns.js';

export type InvoiceTables = {
  invoices: {
    tenant_id: string;
    id: string;
    source: InvoiceSource;
    stripe_invoice_id: string | null;
    client_id: string | null;
    status: InvoiceStatus;
    overdue: ColumnType<boolean, boolean | undefined, boolean>;
    overdue_reason: OverdueReason | null;
    amount_due: BigIntColumn;
    amount_paid: ColumnType<string, number | string | undefined, number | string>;
    currency: string;
    due_at: Timestamp | null;
    paid_at: Timestamp | null;
    memo: string | null;
    payment_link_id: string | null;
    payment_link_url: string | null;
    payment_link_active: boolean | null;
    stripe_status: StripeInvoiceStatus | null;
    stripe_customer_id: string | null;
    stripe_subscription_id: string | null;
    stripe_created_at: Timestamp | null;
    stripe_finalized_at: Timestamp | null;
    stripe_paid_at: Timestamp | null;
    stripe_voided_at: Timestamp | null;
    stripe_marked_uncollectible_at: Timestamp | null;
    stripe_last_event_at: Timestamp | null;
    stripe_last_event_id: string | null;
    created_at: CreatedAt;
    updated_at: UpdatedAt;
  };
  invoice_line_items: {
    tenant_id: string;
    invoice_id: string;
    position: number;
    description: string;
    quantity: number;
    unit_amount: BigIntColumn;
    amount: BigIntColumn;
    stripe_line_item_id: string | null;
  };
  invoice_payments: {
    tenant_id: string;
    invoice_id: string;
    source: 'payment_link' | 'stripe_invoice';
    reference: string;
    amount: BigIntColumn;
    currency: string;
    paid_at: Timestamp;
    created_at: CreatedAt;
  };
};
