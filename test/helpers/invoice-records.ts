import type { InvoiceRecord } from '../../src/domain/invoice/contracts.js';

/** A pending manual invoice as the invoice activities return it, for workflow tests with fake activities. */
export function manualInvoiceRecord(id: string, overrides: Partial<InvoiceRecord> = {}): InvoiceRecord {
  return {
    id,
    source: 'manual',
    stripeInvoiceId: null,
    clientId: 'cli_1',
    status: 'pending',
    overdue: false,
    overdueReason: null,
    amountDue: 2500,
    amountPaid: 0,
    currency: 'eur',
    dueAtMs: null,
    paidAtMs: null,
    paymentLink: null,
    paymentLinkActive: null,
    stripe: null,
    ...overrides,
  };
}
