import type { InvoiceRecord, OverdueReason } from '../../domain/invoice/contracts.js';
import { inTransaction } from '../atomic.js';
import type { DbExecutor } from '../schema.js';
import { findInvoiceRecord } from './queries.js';
import { toRecord } from './rows.js';

/** The due date passed or a payment failed; only a still-open invoice becomes overdue. */
export async function markInvoiceOverdue(db: DbExecutor, tenantId: string, id: string, reason: OverdueReason): Promise<boolean> {
  const result = await db
    .updateTable('invoices')
    .set({ overdue: true, overdue_reason: reason, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export type RecordPaymentOutcome = 'paid' | 'already_paid' | 'paid_after_void' | 'unknown_invoice';

/**
 * Marks an invoice paid exactly once: invoice_payments has one row per invoice at most, and the status moves
 * only from an unpaid, uncancelled state. A payment on a cancelled invoice is recorded (money arrived; someone
 * must refund it) but the invoice stays cancelled.
 */
export async function recordInvoicePayment(
  db: DbExecutor,
  payment: { tenantId: string; invoiceId: string; reference: string; amount: number; currency: string; paidAt: Date },
): Promise<{ outcome: RecordPaymentOutcome; invoice?: InvoiceRecord; paidBy?: string }> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('invoices')
      .selectAll()
      .where('tenant_id', '=', payment.tenantId)
      .where('id', '=', payment.invoiceId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { outcome: 'unknown_invoice' as const };
    const inserted = await trx
      .insertInto('invoice_payments')
      .values({
        tenant_id: payment.tenantId,
        invoice_id: payment.invoiceId,
        source: 'payment_link',
        reference: payment.reference,
        amount: payment.amount,
        currency: payment.currency,
        paid_at: payment.paidAt,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'invoice_id']).doNothing())
      .returning('invoice_id')
      .executeTakeFirst();
    if (!inserted) {
      const first = await trx
        .selectFrom('invoice_payments')
        .select('reference')
        .where('tenant_id', '=', payment.tenantId)
        .where('invoice_id', '=', payment.invoiceId)
        .executeTakeFirst();
      return { outcome: 'already_paid' as const, invoice: toRecord(row), paidBy: first?.reference };
    }
    if (row.status === 'cancelled') return { outcome: 'paid_after_void' as const, invoice: toRecord(row) };
    const updated = await trx
      .updateTable('invoices')
      .set({ status: 'paid', paid_at: payment.paidAt, amount_paid: payment.amount, overdue: false, overdue_reason: null, updated_at: new Date() })
      .where('tenant_id', '=', payment.tenantId)
      .where('id', '=', payment.invoiceId)
      .where('status', 'not in', ['paid', 'cancelled'])
      .returningAll()
      .executeTakeFirst();
    return { outcome: updated ? ('paid' as const) : ('already_paid' as const), invoice: toRecord(updated ?? row) };
  });
}

/** First link wins: a second creation (another workflow run, a retried activity) keeps the stored one. */
export async function attachPaymentLink(db: DbExecutor, tenantId: string, id: string, link: { id: string; url: string }): Promise<InvoiceRecord | undefined> {
  await db
    .updateTable('invoices')
    .set({ payment_link_id: link.id, payment_link_url: link.url, payment_link_active: true, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('payment_link_id', 'is', null)
    .execute();
  return findInvoiceRecord(db, tenantId, id);
}

export async function setPaymentLinkActive(db: DbExecutor, tenantId: string, id: string, active: boolean): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ payment_link_active: active, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}
