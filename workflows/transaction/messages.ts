import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NewTransaction, TransactionCheckoutSession, TransactionPaymentEvent, TransactionRecord, TransactionStatus } from '../../src/domain/transaction/contracts.js';
import type { RetrySchedule } from '../../src/domain/retry/schedule.js';
import type { EventLogEntry } from '../shared/event-inbox.js';

export const TRANSACTION_WORKFLOW_TYPE = 'transactionWorkflow';

export interface TransactionInput {
  tenantId: string;
  ref: string;
  retry: RetrySchedule;
  carried?: Pick<TransactionState, 'seenEventIds' | 'eventLog'>;
}

export type TransactionPaymentRequest = Omit<NewTransaction, 'tenantId' | 'ref'>;

export interface TransactionState {
  tenantId: string;
  ref: string;
  /** null until the transaction exists in PostgreSQL. */
  status: TransactionStatus | null;
  paidPaymentIntentId: string | null;
  seenEventIds: string[];
  eventLog: EventLogEntry[];
}

export type TransactionWorkflow = (input: TransactionInput) => Promise<TransactionState>;

export const transactionPaymentSignal = defineSignal<[TransactionPaymentEvent]>('paymentEvent');
export const openCheckoutSessionUpdate = defineUpdate<TransactionCheckoutSession, [TransactionPaymentRequest]>('openCheckoutSession');
export const ensurePaymentLinkUpdate = defineUpdate<TransactionRecord, [TransactionPaymentRequest]>('ensurePaymentLink');
export const transactionStateQuery = defineQuery<TransactionState>('state');

/** Failure types of the updates; the gateway maps them to 409. */
export const TRANSACTION_MISMATCH = 'TransactionMismatch';
export const TRANSACTION_PAID = 'TransactionPaid';
