import type { ExcessPaymentInput, ExcessPaymentRecord } from '../../src/domain/transaction/contracts.js';
import type { ExcessPaymentWorkflowInput } from './messages.js';

/** The refund activity's input: the workflow input without its retry schedule. */
export function paymentOf(input: ExcessPaymentWorkflowInput): ExcessPaymentInput {
  const { retry: _retry, ...payment } = input;
  return payment;
}

/** The Status search attribute once the refund is decided. */
export const statusAfterRefund = (record: Pick<ExcessPaymentRecord, 'refundStatus'>): string => `refund_${record.refundStatus}`;
