import type { DbExecutor } from '../schema.js';
import { inTransaction } from '../atomic.js';
import type { InvoiceLine } from './rows.js';
import { findInvoiceRecord } from './queries.js';

export interface NewManualInvoice {
  tenantId: string;
  id: string;
  clientId: string;
  currency: string;
  dueAt: Date | null;
  memo: string | null;
  lines: InvoiceLine[];
}

/** The line rows of a new invoice, in the order given. */
function lineRows(invoice: NewManualInvoice) {
  return invoice.lines.map((line, position) => ({
    tenant_id: invoice.tenantId,
    invoice_id: invoice.id,
    position,
    description: line.description,
    quantity: line.quantity,
    unit_amount: line.unitAmount,
    amount: line.amount,
  }));
}

/** Idempotent per id (an Idempotency-Key maps to one id): a replay returns the stored invoice with created=false. */
export async function insertManualInvoice(db: DbExecutor, invoice: NewManualInvoice): Promise<{ created: boolean }> {
  const amountDue = invoice.lines.reduce((sum, line) => sum + line.amount, 0);
  return inTransaction(db, async (trx) => {
    const inserted = await trx
      .insertInto('invoices')
      .values({
        tenant_id: invoice.tenantId,
        id: invoice.id,
        source: 'manual',
        client_id: invoice.clientId,
        status: 'pending',
        amount_due: amountDue,
        currency: invoice.currency,
        due_at: invoice.dueAt,
        memo: invoice.memo,
        // Millisecond precision, so list cursors (a JS Date) compare exactly.
        created_at: new Date(),
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return { created: false };
    await trx
      .insertInto('invoice_line_items')
      .values(lineRows(invoice))
      .execute();
    return { created: true };
  });
}

/**
 * Many manual invoices in two statements (imports, seeding): the rows insertManualInvoice writes, pending, with
 * their lines. Ids already present are skipped with their lines. `createdAt` backdates an invoice (millisecond
 * precision, as list cursors need); without it, now. Returns how many were created.
 */
export async function insertManualInvoices(db: DbExecutor, invoices: ReadonlyArray<NewManualInvoice & { createdAt?: Date }>): Promise<number> {
  if (invoices.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const now = new Date();
    const inserted = await trx
      .insertInto('invoices')
      .values(
        invoices.map((invoice) => ({
          tenant_id: invoice.tenantId,
          id: invoice.id,
          source: 'manual' as const,
          client_id: invoice.clientId,
          status: 'pending' as const,
          amount_due: invoice.lines.reduce((sum, line) => sum + line.amount, 0),
          currency: invoice.currency,
          due_at: invoice.dueAt,
          memo: invoice.memo,
          created_at: invoice.createdAt ?? now,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
      .returning(['tenant_id', 'id'])
      .execute();
    const created = new Set(inserted.map((row) => `${row.tenant_id}\u0000${row.id}`));
    const lines = invoices
      .filter((invoice) => created.has(`${invoice.tenantId}\u0000${invoice.id}`))
      .flatMap(lineRows);
    if (lines.length > 0) await trx.insertInto('invoice_line_items').values(lines).execute();
    return inserted.length;
  });
}

/** Manual invoices only; a paid one cannot be voided. Returns the row as it now is. */
export async function voidManualInvoice(db: DbExecutor, tenantId: string, id: string): Promise<{ outcome: 'voided' | 'already_voided' | 'paid' | 'not_manual' | 'unknown' }> {
  const updated = await db
    .updateTable('invoices')
    .set({ status: 'cancelled', overdue: false, overdue_reason: null, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('source', '=', 'manual')
    .where('status', 'not in', ['paid', 'cancelled'])
    .returning('id')
    .executeTakeFirst();
  if (updated) return { outcome: 'voided' };
  const row = await findInvoiceRecord(db, tenantId, id);
  if (!row) return { outcome: 'unknown' };
  if (row.source !== 'manual') return { outcome: 'not_manual' };
  return { outcome: row.status === 'paid' ? 'paid' : 'already_voided' };
}
