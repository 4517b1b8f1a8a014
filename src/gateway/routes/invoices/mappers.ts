import type { ClientRecord } from '../../../db/clients.js';
import type { InvoiceDetails } from '../../../db/invoices/rows.js';
import { problems } from '../../problem.js';
import { isoFromMs } from '../../schemas.js';

export const clientJson = (client: ClientRecord) => ({ id: client.id, email: client.email, name: client.name, user_id: client.userId });

export function invoiceJson(invoice: InvoiceDetails) {
  return {
    id: invoice.id,
    source: invoice.source,
    stripe_invoice_id: invoice.stripeInvoiceId,
    client_id: invoice.clientId,
    status: invoice.status,
    overdue: invoice.overdue,
    overdue_reason: invoice.overdueReason,
    amount_due: invoice.amountDue,
    amount_paid: invoice.amountPaid,
    currency: invoice.currency,
    due_at: isoFromMs(invoice.dueAtMs),
    paid_at: isoFromMs(invoice.paidAtMs),
    memo: invoice.memo,
    payment_link_url: invoice.paymentLink?.url ?? null,
    line_items: invoice.lines.map((line) => ({ description: line.description, quantity: line.quantity, unit_amount: line.unitAmount, amount: line.amount })),
    created_at: invoice.createdAt,
  };
}

export const encodeCursor = (invoice: InvoiceDetails) => Buffer.from(JSON.stringify([invoice.createdAt, invoice.id])).toString('base64url');

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw problems.validation([{ field: 'query.cursor', message: 'not a cursor from this API' }]);
  }
}
