import type { Transaction } from 'kysely';
import type { StripeInvoiceSnapshot, UpsertInvoiceResult } from '../../domain/invoice/contracts.js';
import { mergeStripeView, paidAtMsOf, toInvoiceStatus } from '../../domain/invoice/rules.js';
import { inTransaction } from '../atomic.js';
import type { Database, DbExecutor } from '../schema.js';
import { dateOf, stripeViewOf, toRecord } from './rows.js';

/**
 * Upsert by external id (tenant, Stripe invoice id), order-safe on its own: under a row lock the snapshot is
 * merged with what is stored by the same rules the workflow uses (rank, then event time; terminal never regresses),
 * so an import or backfill may call this directly and any delivery order ends in the same row.
 */
export async function upsertStripeInvoice(
  db: DbExecutor,
  input: {
    tenantId: string;
    clientId: string | null;
    eventId: string;
    eventCreated: number;
    invoice: StripeInvoiceSnapshot;
    authoritative?: boolean;
  },
): Promise<Omit<UpsertInvoiceResult, 'nowMs'>> {
  const { tenantId, invoice } = input;
  return inTransaction(db, async (trx) => {
    const lock = () =>
      trx
        .selectFrom('invoices')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('stripe_invoice_id', '=', invoice.id)
        .forUpdate()
        .executeTakeFirst();
    let row = await lock();
    let inserted = false;
    if (!row) {
      const created = await trx
        .insertInto('invoices')
        .values({
          tenant_id: tenantId,
          id: invoice.id,
          source: 'stripe',
          stripe_invoice_id: invoice.id,
          client_id: input.clientId,
          // A placeholder: the order-safe update below sets the real status together with paid_at.
          status: 'draft',
          amount_due: invoice.amountDue,
          currency: invoice.currency,
          memo: invoice.description,
          stripe_created_at: new Date(invoice.created * 1000),
          created_at: new Date(),
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      inserted = created !== undefined;
      row = await lock();
      if (!row) throw new Error(`invoice ${invoice.id} exists for another tenant or as a manual invoice`);
    }
    const previous = stripeViewOf(row);
    const { view, outcome } = mergeStripeView(previous, invoice, { at: input.eventCreated, id: input.eventId }, { authoritative: input.authoritative });
    if (outcome === 'conflict') return { outcome, invoice: toRecord(row) };
    const status = toInvoiceStatus(view.status);
    const terminal = status === 'paid' || status === 'cancelled';
    const paidAtMs = paidAtMsOf(view);
    const updated = await trx
      .updateTable('invoices')
      .set({
        status,
        overdue: terminal ? false : row.overdue,
        overdue_reason: terminal ? null : row.overdue_reason,
        client_id: row.client_id ?? input.clientId,
        amount_due: view.amountDue,
        amount_paid: view.amountPaid,
        currency: view.currency,
        due_at: dateOf(view.dueDate),
        paid_at: paidAtMs === null ? null : new Date(paidAtMs),
        stripe_status: view.status,
        stripe_customer_id: view.customerId,
        stripe_subscription_id: view.subscriptionId,
        stripe_finalized_at: dateOf(view.transitions.finalizedAt),
        stripe_paid_at: dateOf(view.transitions.paidAt),
        stripe_voided_at: dateOf(view.transitions.voidedAt),
        stripe_marked_uncollectible_at: dateOf(view.transitions.markedUncollectibleAt),
        stripe_last_event_at: dateOf(view.lastEventAt),
        stripe_last_event_id: view.lastEventId,
        ...(outcome === 'applied' && invoice.description !== null ? { memo: invoice.description } : {}),
        updated_at: new Date(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (outcome === 'applied' && invoice.lines.length > 0) await replaceLines(trx, tenantId, row.id, invoice);
    if (status === 'paid') {
      await trx
        .insertInto('invoice_payments')
        .values({
          tenant_id: tenantId,
          invoice_id: row.id,
          source: 'stripe_invoice',
          reference: invoice.id,
          amount: view.amountPaid,
          currency: view.currency,
          paid_at: new Date(paidAtMs!),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'invoice_id']).doNothing())
        .execute();
    }
    return { outcome: inserted ? 'inserted' : outcome, invoice: toRecord(updated) };
  });
}

async function replaceLines(trx: Transaction<Database>, tenantId: string, invoiceId: string, invoice: StripeInvoiceSnapshot): Promise<void> {
  await trx.deleteFrom('invoice_line_items').where('tenant_id', '=', tenantId).where('invoice_id', '=', invoiceId).execute();
  await trx
    .insertInto('invoice_line_items')
    .values(
      invoice.lines.map((line, position) => ({
        tenant_id: tenantId,
        invoice_id: invoiceId,
        position,
        description: line.description,
        quantity: Math.max(1, line.quantity),
        unit_amount: Math.max(0, line.unitAmount),
        amount: Math.max(0, line.amount),
        stripe_line_item_id: line.id,
      })),
    )
    .execute();
}
