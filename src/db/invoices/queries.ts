import { sql } from 'kysely';
import type { InvoiceRecord, InvoiceStatus } from '../../domain/invoice/contracts.js';
import type { DbExecutor } from '../schema.js';
import { toDetails, toRecord, type InvoiceDetails, type InvoiceRow } from './rows.js';

export async function findInvoiceRecord(db: DbExecutor, tenantId: string, id: string): Promise<InvoiceRecord | undefined> {
  const row = await db.selectFrom('invoices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findInvoice(db: DbExecutor, tenantId: string, id: string): Promise<InvoiceDetails | undefined> {
  const row = await db.selectFrom('invoices').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const [details] = await withLines(db, tenantId, [row]);
  return details;
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

/** Two queries whatever the page size: the page, then the lines of all its invoices. */
export async function listInvoices(db: DbExecutor, query: ListInvoicesQuery): Promise<InvoiceDetails[]> {
  let builder = db.selectFrom('invoices').selectAll().where('tenant_id', '=', query.tenantId);
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
  const rows = await builder.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  return withLines(db, query.tenantId, rows);
}

/** The invoices with their line items, in the order given, from one query for all their lines. */
async function withLines(db: DbExecutor, tenantId: string, rows: InvoiceRow[]): Promise<InvoiceDetails[]> {
  if (rows.length === 0) return [];
  const lines = await db
    .selectFrom('invoice_line_items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('invoice_id', 'in', rows.map((row) => row.id))
    .orderBy('invoice_id')
    .orderBy('position')
    .execute();
  const linesOf = new Map<string, typeof lines>();
  for (const line of lines) linesOf.set(line.invoice_id, [...(linesOf.get(line.invoice_id) ?? []), line]);
  return rows.map((row) => toDetails(row, linesOf.get(row.id) ?? []));
}

/** Invoices whose Payment Link is this one (scoped to a tenant when known). */
export async function findInvoicesByPaymentLink(db: DbExecutor, paymentLinkId: string, tenantId?: string): Promise<Array<{ tenantId: string; id: string }>> {
  let builder = db.selectFrom('invoices').select(['tenant_id', 'id']).where('payment_link_id', '=', paymentLinkId);
  if (tenantId) builder = builder.where('tenant_id', '=', tenantId);
  const rows = await builder.limit(2).execute();
  return rows.map((row) => ({ tenantId: row.tenant_id, id: row.id }));
}
