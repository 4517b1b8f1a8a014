import { describe, expect, it } from 'vitest';
import { checkoutRequestRejection, eventWaitMs, isTerminal, stepFor, unpaidEnding } from '../../../workflows/top-up/rules.js';

const request = { accountId: 'acc_1', amount: 2000, currency: 'eur', successUrl: 'https://ok', cancelUrl: 'https://no' };

describe('top-up rules', () => {
  it('credits a paid checkout, waits for an async payment, ends on failure or expiry', () => {
    expect(stepFor({ type: 'checkout.session.completed', paymentStatus: 'paid' })).toBe('credit');
    expect(stepFor({ type: 'checkout.session.completed', paymentStatus: 'no_payment_required' })).toBe('credit');
    expect(stepFor({ type: 'checkout.session.completed', paymentStatus: 'unpaid' })).toBe('await_async_payment');
    expect(stepFor({ type: 'checkout.session.async_payment_succeeded', paymentStatus: 'paid' })).toBe('credit');
    expect(stepFor({ type: 'checkout.session.async_payment_failed', paymentStatus: 'unpaid' })).toBe('failed');
    expect(stepFor({ type: 'checkout.session.expired', paymentStatus: 'unpaid' })).toBe('expired');
  });

  it('waits 25 hours for a checkout and 14 days for an async payment', () => {
    expect(eventWaitMs('pending')).toBe(25 * 60 * 60 * 1000);
    expect(eventWaitMs('processing')).toBe(14 * 24 * 60 * 60 * 1000);
    expect(unpaidEnding('processing')).toBe('failed');
    expect(unpaidEnding('pending')).toBe('expired');
  });

  it('refuses a checkout for a final top-up or another amount', () => {
    expect(checkoutRequestRejection({ status: 'credited' }, request)).toBe('top-up is already credited');
    expect(checkoutRequestRejection({ status: 'pending', amount: 1000, currency: 'eur' }, request)).toBe('top-up was already created with a different amount or currency');
    expect(checkoutRequestRejection({ status: 'pending', amount: 2000, currency: 'eur' }, request)).toBeUndefined();
    expect(checkoutRequestRejection({ status: 'pending' }, request)).toBeUndefined();
    expect(['credited', 'expired', 'failed', 'pending', 'processing'].map((s) => isTerminal(s as never))).toEqual([true, true, true, false, false]);
  });
});
