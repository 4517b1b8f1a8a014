import { describe, expect, it } from 'vitest';
import type { ExcessPaymentWorkflowInput } from '../../../workflows/excess-payment/messages.js';
import { paymentOf, statusAfterRefund } from '../../../workflows/excess-payment/rules.js';

describe('excess-payment rules', () => {
  it('passes the payment without its retry schedule to the refund', () => {
    const input = {
      tenantId: 't_1',
      paymentIntentId: 'pi_1',
      item: { kind: 'order', ref: 'ord_1' },
      amount: 500,
      currency: 'eur',
      reason: 'paid twice',
      retry: { maximumAttempts: 3 },
    } as unknown as ExcessPaymentWorkflowInput;
    expect(paymentOf(input)).toEqual({ tenantId: 't_1', paymentIntentId: 'pi_1', item: { kind: 'order', ref: 'ord_1' }, amount: 500, currency: 'eur', reason: 'paid twice' });
  });

  it('says the refund status in the Status search attribute', () => {
    expect(statusAfterRefund({ refundStatus: 'succeeded' } as never)).toBe('refund_succeeded');
  });
});
