import { sql, type ColumnType, type Selectable, type Transaction } from 'kysely';
import type {
  InvoiceRecord,
  InvoiceSource,
  InvoiceStatus,
  OverdueReason,
  StripeInvoiceSnapshot,
  StripeInvoiceStatus,
  StripeInvoiceView,
  UpsertInvoiceResult,
} from '../../activities/invoice-types.js';
import { mergeStripeView, paidAtMsOf, toInvoiceStatus } from '../../workflows/invoice-state.js';
import { toSafeInteger } from '../money.js';
import type { ClientTables } from './clients.js';
import type { Db } from './connection.js';
import type { Database } from './schema.js';

type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export type InvoiceTables = ClientTables & {
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

type InvoiceRow = Selectable<InvoiceTables['invoices']>;
type InvoiceTrx = Transaction<Database & InvoiceTables>;

const invoicesDb = (db: Db) => db.withTables<InvoiceTables>();

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

export interface InvoiceDetails extends InvoiceRecord {
  memo: string | null;
  createdAt: string;
  lines: InvoiceLine[];
}

const secondsOf = (date: Date | null): number | null => (date === null ? null : Math.floor(date.getTime() / 1000));
const dateOf = (seconds: number | null): Date | null => (seconds === null ? null : new Date(seconds * 1000));

function stripeViewOf(row: InvoiceRow): StripeInvoiceView | null {
  if (row.stripe_status === null || row.stripe_last_event_at === null || row.stripe_last_event_id === null) return null;
  return {
    status: row.stripe_status,
    transitions: {
      finalizedAt: secondsOf(row.stripe_finalized_at),
      paidAt: secondsOf(row.stripe_paid_at),
      voidedAt: secondsOf(row.stripe_voided_at),
      markedUncollectibleAt: secondsOf(row.stripe_marked_uncollectible_at),
    },
    amountDue: toSafeInteger(row.amount_due),
    amountPaid: toSafeInteger(row.amount_paid),
    currency: row.currency,
    dueDate: secondsOf(row.due_at),
    customerId: row.stripe_customer_id,
    subscriptionId: row.stripe_subscription_id,
    lastEventAt: secondsOf(row.stripe_last_event_at)!,
    lastEventId: row.stripe_last_event_id,
  };
}

function toRecord(row: InvoiceRow): InvoiceRecord {
  return {
    id: row.id,
    source: row.source,
    stripeInvoiceId: row.stripe_invoice_id,
    clientId: row.client_id,
    status: row.status,
    overdue: row.overdue,
    overdueReason: row.overdue_reason,
    amountDue: toSafeInteger(row.amount_due),
    amountPaid: toSafeInteger(row.amount_paid),
    currency: row.currency,
    dueAtMs: row.due_at ? row.due_at.getTime() : null,
    paidAtMs: row.paid_at ? row.paid_at.getTime() : null,
    paymentLink: row.payment_link_id && row.payment_link_url ? { id: row.payment_link_id, url: row.payment_link_url } : null,
    paymentLinkActive: row.payment_link_active,
    stripe: stripeViewOf(row),
  };
}

export async function findInvoiceRecord(db: Db, tenantId: string, id: string): Promise<InvoiceRecord | undefined> {
  const row = await invoicesDb(db).selectFrom('invoices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findInvoice(db: Db, tenantId: string, id: string): Promise<InvoiceDetails | undefined> {
  const idb = invoicesDb(db);
  const row = await idb.selectFrom('invoices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const lines = await idb
    .selectFrom('invoice_line_items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('invoice_id', '=', id)
    .orderBy('position')
    .execute();
  return {
    ...toRecord(row),
    memo: row.memo,
    createdAt: row.created_at.toISOString(),
    lines: lines.map((line) => ({
      description: line.description,
      quantity: line.quantity,
      unitAmount: toSafeInteger(line.unit_amount),
      amount: toSafeInteger(line.amount),
    })),
  };
}

export interface ListInvoicesQuery {
  tenantId: string;
  status?: InvoiceStatus;
  clientId?: string;
  /** Only the invoices of clients linked to this end user (clients.user_id). */
  userId?: string;
  overdue?: boolean;
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  /** created_at and id of the last row of the previous page (newest first). */
  after?: { createdAt: Date; id: string };
}

export async function listInvoices(db: Db, query: ListInvoicesQuery): Promise<InvoiceDetails[]> {
  let builder = invoicesDb(db).selectFrom('invoices').select('id').where('tenant_id', '=', query.tenantId);
  if (query.status) builder = builder.where('status', '=', query.status);
  if (query.clientId) builder = builder.where('client_id', '=', query.clientId);
  if (query.userId !== undefined) {
    const userId = query.userId;
    builder = builder.where('client_id', 'in', (eb) =>
      eb.selectFrom('clients').select('clients.id').where('clients.tenant_id', '=', query.tenantId).where('clients.user_id', '=', userId),
    );
  }
  if (query.overdue !== undefined) builder = builder.where('overdue', '=', query.overdue);
  if (query.createdFrom) builder = builder.where('created_at', '>=', query.createdFrom);
  if (query.createdTo) builder = builder.where('created_at', '<', query.createdTo);
  if (query.after) {
    const { createdAt, id } = query.after;
    builder = builder.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id})`);
  }
  const ids = await builder.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  const rows: InvoiceDetails[] = [];
  for (const { id } of ids) {
    const invoice = await findInvoice(db, query.tenantId, id);
    if (invoice) rows.push(invoice);
  }
  return rows;
}

export interface NewManualInvoice {
  tenantId: string;
  id: string;
  clientId: string;
  currency: string;
  dueAt: Date | null;
  memo: string | null;
  lines: InvoiceLine[];
}

/** Idempotent per id (an Idempotency-Key maps to one id): a replay returns the stored invoice with created=false. */
export async function insertManualInvoice(db: Db, invoice: NewManualInvoice): Promise<{ created: boolean }> {
  const amountDue = invoice.lines.reduce((sum, line) => sum + line.amount, 0);
  return invoicesDb(db)
    .transaction()
    .execute(async (trx) => {
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
        .values(
          invoice.lines.map((line, position) => ({
            tenant_id: invoice.tenantId,
            invoice_id: invoice.id,
            position,
            description: line.description,
            quantity: line.quantity,
            unit_amount: line.unitAmount,
            amount: line.amount,
          })),
        )
        .execute();
      return { created: true };
    });
}

/**
 * Upsert by external id (tenant, Stripe invoice id), order-safe on its own: under a row lock the snapshot is
 * merged with what is stored by the same rules the workflow uses (rank, then event time; terminal never regresses),
 * so an import or backfill may call this directly and any delivery order ends in the same row.
 */
export async function upsertStripeInvoice(
  db: Db,
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
  return invoicesDb(db)
    .transaction()
    .execute(async (trx) => {
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

async function replaceLines(trx: InvoiceTrx, tenantId: string, invoiceId: string, invoice: StripeInvoiceSnapshot): Promise<void> {
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

/** The due date passed or a payment failed; only a still-open invoice becomes overdue. */
export async function markInvoiceOverdue(db: Db, tenantId: string, id: string, reason: OverdueReason): Promise<boolean> {
  const result = await invoicesDb(db)
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
  db: Db,
  payment: { tenantId: string; invoiceId: string; reference: string; amount: number; currency: string; paidAt: Date },
): Promise<{ outcome: RecordPaymentOutcome; invoice?: InvoiceRecord; paidBy?: string }> {
  return invoicesDb(db)
    .transaction()
    .execute(async (trx) => {
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

/** Manual invoices only; a paid one cannot be voided. Returns the row as it now is. */
export async function voidManualInvoice(db: Db, tenantId: string, id: string): Promise<{ outcome: 'voided' | 'already_voided' | 'paid' | 'not_manual' | 'unknown' }> {
  const idb = invoicesDb(db);
  const updated = await idb
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

/** First link wins: a second creation (another workflow run, a retried activity) keeps the stored one. */
export async function attachPaymentLink(db: Db, tenantId: string, id: string, link: { id: string; url: string }): Promise<InvoiceRecord | undefined> {
  await invoicesDb(db)
    .updateTable('invoices')
    .set({ payment_link_id: link.id, payment_link_url: link.url, payment_link_active: true, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('payment_link_id', 'is', null)
    .execute();
  return findInvoiceRecord(db, tenantId, id);
}

export async function setPaymentLinkActive(db: Db, tenantId: string, id: string, active: boolean): Promise<void> {
  await invoicesDb(db)
    .updateTable('invoices')
    .set({ payment_link_active: active, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/** Invoices whose Payment Link is this one (scoped to a tenant when known). */
export async function findInvoicesByPaymentLink(db: Db, paymentLinkId: string, tenantId?: string): Promise<Array<{ tenantId: string; id: string }>> {
  let builder = invoicesDb(db).selectFrom('invoices').select(['tenant_id', 'id']).where('payment_link_id', '=', paymentLinkId);
  if (tenantId) builder = builder.where('tenant_id', '=', tenantId);
  const rows = await builder.limit(2).execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, id: row.id }));
}

