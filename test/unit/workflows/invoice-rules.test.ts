import { describe, expect, it } from 'vitest';
import type { InvoiceRecord } from '../../../src/domain/invoice/contracts.js';
import type { InvoiceInput } from '../../../workflows/invoice/messages.js';
import {
  adoptRecord,
  eventBudgetSpent,
  eventTypeOf,
  excessRefundReason,
  initialInvoiceState,
  isExcessPayment,
  isSettledPayment,
  linkRefusal,
  linkToDeactivate,
  overdueDue,
} from '../../../workflows/invoice/rules.js';

const input = { tenantId: 't_1', invoiceId: 'inv_1', source: 'manual', retry: {} } as InvoiceInput;

const record: InvoiceRecord = {
  id: 'inv_1',
  source: 'manual',
  stripeInvoiceId: null,
  clientId: 'cl_1',
  status: 'pending',
  overdue: false,
  overdueReason: null,
  amountDue: 10_000,
  amountPaid: 0,
  currency: 'eur',
  dueAtMs: 1_000,
  paidAtMs: null,
  paymentLink: null,
  paymentLinkActive: null,
  stripe: null,
};

describe('invoice rules', () => {
  it('carries dedupe ids and the event log over continue-as-new, as copies', () => {
    const carried = { seenEventIds: ['evt_1'], eventLog: [{ eventId: 'evt_1', type: 'stripe', outcome: 'applied' }] };
    const state = initialInvoiceState({ ...input, carried });
    expect(state.seenEventIds).toEqual(['evt_1']);
    expect(state.seenEventIds).not.toBe(carried.seenEventIds);
    expect(state.status).toBeNull();
  });

  it('adopts PostgreSQL’s record and says when the due date changed', () => {
    const state = initialInvoiceState(input);
    expect(adoptRecord(state, record)).toBe(true);
    expect(state).toMatchObject({ status: 'pending', clientId: 'cl_1', amountDue: 10_000, dueAtMs: 1_000 });
    expect(adoptRecord(state, { ...record, amountPaid: 10_000, status: 'paid' })).toBe(false);
    expect(state.status).toBe('paid');
  });

  it('keeps a known Payment Link when the record has none', () => {
    const state = initialInvoiceState(input);
    state.paymentLink = { id: 'plink_1', url: 'https://pay' } as never;
    state.paymentLinkActive = true;
    adoptRecord(state, record);
    expect(state.paymentLink).toEqual({ id: 'plink_1', url: 'https://pay' });
    expect(state.paymentLinkActive).toBe(true);
  });

  it('refuses a Payment Link for an unknown, Stripe-sourced, paid or cancelled invoice', () => {
    expect(linkRefusal({ status: null, source: 'manual' })).toEqual({ message: 'no such invoice', type: 'InvoiceUnknown' });
    expect(linkRefusal({ status: 'pending', source: 'stripe' })).toEqual({
      message: 'Stripe-sourced invoices are paid through Stripe, not a Payment Link',
      type: 'InvoiceNotManual',
    });
    expect(linkRefusal({ status: 'paid', source: 'manual' })).toEqual({ message: 'invoice is already paid', type: 'InvoicePaid' });
    expect(linkRefusal({ status: 'cancelled', source: 'manual' })).toEqual({ message: 'invoice is cancelled', type: 'InvoiceCancelled' });
    expect(linkRefusal({ status: 'pending', source: 'manual' })).toBeUndefined();
  });

  it('is overdue once the due date passed on a pending invoice not yet marked', () => {
    expect(overdueDue({ dueDateReached: true, status: 'pending', overdue: false })).toBe(true);
    expect(overdueDue({ dueDateReached: true, status: 'pending', overdue: true })).toBe(false);
    expect(overdueDue({ dueDateReached: true, status: 'paid', overdue: false })).toBe(false);
    expect(overdueDue({ dueDateReached: false, status: 'pending', overdue: false })).toBe(false);
  });

  it('deactivates the active link of a paid or cancelled invoice only', () => {
    const state = initialInvoiceState(input);
    adoptRecord(state, { ...record, status: 'paid', paymentLink: { id: 'plink_1' } as never, paymentLinkActive: true });
    expect(linkToDeactivate(state)).toBe(true);
    state.paymentLinkActive = false;
    expect(linkToDeactivate(state)).toBe(false);
    adoptRecord(state, { ...record, status: 'pending', paymentLink: { id: 'plink_1' } as never, paymentLinkActive: true });
    expect(linkToDeactivate(state)).toBe(false);
  });

  it('refunds a payment of a void invoice, or one another payment already paid', () => {
    expect(isExcessPayment({ outcome: 'paid_after_void' }, 'cs_1')).toBe(true);
    expect(isExcessPayment({ outcome: 'already_paid', paidBy: 'cs_0' }, 'cs_1')).toBe(true);
    expect(isExcessPayment({ outcome: 'already_paid', paidBy: 'cs_1' }, 'cs_1')).toBe(false);
    expect(isExcessPayment({ outcome: 'paid' }, 'cs_1')).toBe(false);
    expect(excessRefundReason({ outcome: 'paid_after_void' })).toBe('invoice is void');
    expect(excessRefundReason({ outcome: 'already_paid', paidBy: 'cs_0' })).toBe('invoice already paid by cs_0');
    expect(excessRefundReason({ outcome: 'already_paid' })).toBe('invoice already paid by another payment');
  });

  it('reads events and budgets', () => {
    expect(isSettledPayment('paid')).toBe(true);
    expect(isSettledPayment('no_payment_required')).toBe(true);
    expect(isSettledPayment('unpaid')).toBe(false);
    expect(eventTypeOf({ kind: 'voided', eventId: 'v1' } as never)).toBe('voided');
    expect(eventTypeOf({ kind: 'stripe', eventId: 'e1', type: 'invoice.paid' } as never)).toBe('invoice.paid');
    expect(eventBudgetSpent({}, 1_000)).toBe(false);
    expect(eventBudgetSpent({ continueAsNewAfterEvents: 3 }, 3)).toBe(true);
    expect(eventBudgetSpent({ continueAsNewAfterEvents: 3 }, 2)).toBe(false);
  });
});
