import type { TransactionRecord } from '../../src/domain/transaction/contracts.js';
import type { Rejection } from '../shared/rejection.js';
import { TRANSACTION_MISMATCH, TRANSACTION_PAID } from './messages.js';

/** With nothing happening for this long the workflow closes; the next event or request starts it again. */
export const IDLE_MS = 30 * 24 * 60 * 60 * 1000;

/** Why a checkout or link request may not go ahead on the record ensureTransactionRecord returned, or undefined. */
export function requestRefusal(
  ref: string,
  result: { outcome: string; transaction: Pick<TransactionRecord, 'amount' | 'currency' | 'status'> },
): Rejection | undefined {
  if (result.outcome === 'mismatch') {
    return { type: TRANSACTION_MISMATCH, message: `transaction ${ref} exists for ${result.transaction.amount} ${result.transaction.currency}` };
  }
  if (result.transaction.status !== 'open') return { type: TRANSACTION_PAID, message: `transaction ${ref} is already ${result.transaction.status}` };
  return undefined;
}

/** The reason given when a later payment of a settled transaction is refunded. */
export const excessRefundReason = (paidPaymentIntentId: string | null): string =>
  `transaction already settled by ${paidPaymentIntentId ?? 'another payment'}`;
