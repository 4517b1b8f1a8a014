import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../activities/excess-payments.js';
import type { RecoveryHookActivities } from '../activities/recovery-hooks.js';
import type { TransactionActivities } from '../activities/transaction.js';
import type {
  NewTransaction,
  TransactionCheckoutSession,
  TransactionPaymentEvent,
  TransactionRecord,
  TransactionStatus,
} from '../activities/transaction-types.js';
import { activityOptions, rejectedInput, type RetrySchedule } from './activity-options.js';
import { StatusKey, TenantIdKey } from './search-attributes.js';

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
  eventLog: Array<{ eventId: string; type: string; outcome: string }>;
}

export const transactionPaymentSignal = defineSignal<[TransactionPaymentEvent]>('paymentEvent');
export const openCheckoutSessionUpdate = defineUpdate<TransactionCheckoutSession, [TransactionPaymentRequest]>('openCheckoutSession');
export const ensurePaymentLinkUpdate = defineUpdate<TransactionRecord, [TransactionPaymentRequest]>('ensurePaymentLink');
export const transactionStateQuery = defineQuery<TransactionState>('state');

/** Failure types of the updates; the gateway maps them to 409. */
export const TRANSACTION_MISMATCH = 'TransactionMismatch';
export const TRANSACTION_PAID = 'TransactionPaid';

/** With nothing happening for this long the workflow closes; the next event or request starts it again. */
const IDLE_MS = 30 * 24 * 60 * 60 * 1000;
const EVENT_LOG_LIMIT = 200;
const SEEN_IDS_LIMIT = 500;
/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const TRANSACTION_REJECTED_INPUT_PATCH = 'transaction-rejected-input';

/**
 * One per transaction (`transaction:<tenant>:<ref>`): the single place its money is decided. It opens Checkout
 * Sessions and its Payment Link on request, settles it with the first succeeded payment (a database constraint
 * decides which), stops its recovery campaign, and refunds every later payment in full.
 */
export async function transactionWorkflow(input: TransactionInput): Promise<TransactionState> {
  const acts = proxyActivities<TransactionActivities>(activityOptions(input.retry));
  const excess = proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry));
  const recovery = proxyActivities<RecoveryHookActivities>(activityOptions(input.retry));
  const state: TransactionState = {
    tenantId: input.tenantId,
    ref: input.ref,
    status: null,
    paidPaymentIntentId: null,
    seenEventIds: [...(input.carried?.seenEventIds ?? [])],
    eventLog: [...(input.carried?.eventLog ?? [])],
  };
  const pending: TransactionPaymentEvent[] = [];
  let touches = 0;
  /** Requests that call Stripe run one at a time, so two callers never race for the same sequence number. */
  let requestChain: Promise<unknown> = Promise.resolve();

  function adopt(record: TransactionRecord | null): void {
    if (!record) return;
    state.status = record.status;
    state.paidPaymentIntentId = record.paidPaymentIntentId;
    upsertSearchAttributes([
      { key: TenantIdKey, value: state.tenantId },
      { key: StatusKey, value: record.status },
    ]);
  }

  function logEvent(entry: { eventId: string; type: string; outcome: string }): void {
    state.eventLog.push(entry);
    if (state.eventLog.length > EVENT_LOG_LIMIT) state.eventLog.shift();
  }

  setHandler(transactionStateQuery, () => state);
  setHandler(transactionPaymentSignal, (event) => {
    if (state.seenEventIds.includes(event.eventId) || pending.some((queued) => queued.eventId === event.eventId)) {
      log.info('duplicate transaction event ignored', { eventId: event.eventId });
      return;
    }
    pending.push(event);
  });

  async function ensureRecord(request: TransactionPaymentRequest): Promise<TransactionRecord> {
    const result = await acts.ensureTransactionRecord({ tenantId: state.tenantId, ref: state.ref, ...request });
    adopt(result.transaction);
    if (result.outcome === 'mismatch') {
      throw ApplicationFailure.create({
        type: TRANSACTION_MISMATCH,
        message: `transaction ${state.ref} exists for ${result.transaction.amount} ${result.transaction.currency}`,
        nonRetryable: true,
      });
    }
    if (result.transaction.status !== 'open') {
      throw ApplicationFailure.create({ type: TRANSACTION_PAID, message: `transaction ${state.ref} is already ${result.transaction.status}`, nonRetryable: true });
    }
    return result.transaction;
  }

  function serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = requestChain.then(work, work);
    requestChain = next.catch(() => undefined);
    return next;
  }

  setHandler(openCheckoutSessionUpdate, (request) => {
    touches++;
    return serialised(async () => {
      const txn = await ensureRecord(request);
      return acts.openTransactionCheckout({ tenantId: state.tenantId, ref: state.ref, customerEmail: request.customerEmail ?? txn.customerEmail });
    });
  });

  setHandler(ensurePaymentLinkUpdate, (request) => {
    touches++;
    return serialised(async () => {
      const txn = await ensureRecord(request);
      if (txn.paymentLink?.active) return txn;
      const linked = await acts.ensureTransactionLink({ tenantId: state.tenantId, ref: state.ref });
      adopt(linked);
      return linked;
    });
  });

  async function apply(event: TransactionPaymentEvent): Promise<string> {
    const outcome = await acts.recordTransactionPayment({ tenantId: state.tenantId, ref: state.ref, event });
    switch (outcome) {
      case 'unknown':
        return 'ignored: unknown transaction';
      case 'duplicate':
      case 'failed':
        return outcome;
      case 'settled': {
        const settled = await acts.loadTransaction({ tenantId: state.tenantId, ref: state.ref });
        adopt(settled);
        await recovery.notifyItemPaid({
          tenantId: state.tenantId,
          item: { kind: 'transaction', ref: state.ref },
          via: 'webhook',
          amount: event.amount,
          reference: event.paymentIntentId,
          ...(settled?.paidAt ? { paidAtMs: Date.parse(settled.paidAt) } : {}),
        });
        await acts.deactivateTransactionLink({ tenantId: state.tenantId, ref: state.ref });
        return `settled by ${event.paymentIntentId}`;
      }
      case 'excess': {
        const refunded = await excess.refundExcessPayment({
          tenantId: state.tenantId,
          paymentIntentId: event.paymentIntentId,
          ...(event.stripeAccount !== undefined ? { stripeAccount: event.stripeAccount } : {}),
          item: { kind: 'transaction', ref: state.ref },
          amount: event.amount,
          currency: event.currency,
          reason: `transaction already settled by ${state.paidPaymentIntentId ?? 'another payment'}`,
        });
        return `excess: refunded ${refunded.refundId ?? '(pending)'}`;
      }
    }
  }

  adopt(await acts.loadTransaction({ tenantId: input.tenantId, ref: input.ref }));

  for (;;) {
    const seen = touches;
    const woke = await condition(() => pending.length > 0 || touches !== seen, IDLE_MS);
    while (pending.length > 0) {
      const event = pending.shift()!;
      // Seen from the moment it is taken, so a redelivery arriving while this one is applied is dropped.
      state.seenEventIds.push(event.eventId);
      if (state.seenEventIds.length > SEEN_IDS_LIMIT) state.seenEventIds.shift();
      let outcome: string;
      try {
        outcome = await apply(event);
      } catch (error) {
        const rejected = rejectedInput(error);
        if (rejected === undefined || !patched(TRANSACTION_REJECTED_INPUT_PATCH)) throw error;
        log.warn('transaction event rejected', { ref: state.ref, eventId: event.eventId, type: event.type, rejected });
        outcome = `rejected: ${rejected}`;
      }
      logEvent({ eventId: event.eventId, type: event.type, outcome });
    }
    if (!woke) {
      await condition(allHandlersFinished);
      if (pending.length === 0) break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (pending.length === 0) {
        await continueAsNew<typeof transactionWorkflow>({ ...input, carried: { seenEventIds: state.seenEventIds, eventLog: state.eventLog } });
      }
    }
  }
  return state;
}
