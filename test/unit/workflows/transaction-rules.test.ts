import { describe, expect, it } from 'vitest';
import { excessRefundReason, IDLE_MS, requestRefusal } from '../../../workflows/transaction/rules.js';

describe('transaction rules', () => {
  it('refuses a request for another amount, or for a transaction no longer open', () => {
    expect(requestRefusal('ref_1', { outcome: 'mismatch', transaction: { amount: 500, currency: 'eur', status: 'open' } })).toEqual({
      type: 'TransactionMismatch',
      message: 'transaction ref_1 exists for 500 eur',
    });
    expect(requestRefusal('ref_1', { outcome: 'existing', transaction: { amount: 500, currency: 'eur', status: 'paid' } })).toEqual({
      type: 'TransactionPaid',
      message: 'transaction ref_1 is already paid',
    });
    expect(requestRefusal('ref_1', { outcome: 'created', transaction: { amount: 500, currency: 'eur', status: 'open' } })).toBeUndefined();
  });

  it('names what settled the transaction when a later payment is refunded', () => {
    expect(excessRefundReason('pi_1')).toBe('transaction already settled by pi_1');
    expect(excessRefundReason(null)).toBe('transaction already settled by another payment');
    expect(IDLE_MS).toBe(30 * 24 * 60 * 60 * 1000);
  });
});
