import { Attention } from '../shared/attention.js';
import { allHandlersFinished, condition, continueAsNew, log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';
import type { TransactionActivities } from '../../activities/transaction.js';
import type { TransactionCheckoutSession, TransactionPaymentEvent, TransactionRecord } from '../../src/domain/transaction/contracts.js';
import { activityOptions } from '../activity-options.js';
import { StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import { EventInbox } from '../shared/event-inbox.js';
import { rejectedEventOutcome } from '../shared/rejected-event.js';
import { failureOf } from '../shared/rejection.js';
import {
  ensurePaymentLinkUpdate,
  openCheckoutSessionUpdate,
  transactionPaymentSignal,
  transactionStateQuery,
  type TransactionInput,
  type TransactionPaymentRequest,
  type TransactionState,
} from './messages.js';
import { excessRefundReason, IDLE_MS, requestRefusal } from './rules.js';

/** An event an activity refuses for good (non-retryable) is logged as rejected; before, it failed the workflow. */
export const TRANSACTION_REJECTED_INPUT_PATCH = 'transaction-rejected-input';

interface TransactionActs {
  acts: TransactionActivities;
  excess: ExcessPaymentActivities;
  recovery: RecoveryHookActivities;
}

/** A transaction's state, its requests and how a payment event changes it. */
class Transaction {
  readonly inbox: EventInbox<TransactionPaymentEvent>;
  /** Bumped by every request, so the idle wait starts over. */
  touches = 0;
  /** Requests that call Stripe run one at a time, so two callers never race for the same sequence number. */
  private requestChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly state: TransactionState,
    private readonly use: TransactionActs,
  ) {
    this.inbox = new EventInbox(state, { seen: 500, log: 200 });
  }

  adopt(record: TransactionRecord | null): void {
    if (!record) return;
    this.state.status = record.status;
    this.state.paidPaymentIntentId = record.paidPaymentIntentId;
    upsertSearchAttributes([
      { key: TenantIdKey, value: this.state.tenantId },
      { key: StatusKey, value: record.status },
    ]);
  }

  private async ensureRecord(request: TransactionPaymentRequest): Promise<TransactionRecord> {
    const result = await this.use.acts.ensureTransactionRecord({ tenantId: this.state.tenantId, ref: this.state.ref, ...request });
    this.adopt(result.transaction);
    const refusal = requestRefusal(this.state.ref, result);
    if (refusal) throw failureOf(refusal);
    return result.transaction;
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.requestChain.then(work, work);
    this.requestChain = next.catch(() => undefined);
    return next;
  }

  openCheckoutSession(request: TransactionPaymentRequest): Promise<TransactionCheckoutSession> {
    this.touches++;
    return this.serialised(async () => {
      const txn = await this.ensureRecord(request);
      return this.use.acts.openTransactionCheckout({ tenantId: this.state.tenantId, ref: this.state.ref, customerEmail: request.customerEmail ?? txn.customerEmail });
    });
  }

  ensurePaymentLink(request: TransactionPaymentRequest): Promise<TransactionRecord> {
    this.touches++;
    return this.serialised(async () => {
      const txn = await this.ensureRecord(request);
      if (txn.paymentLink?.active) return txn;
      const linked = await this.use.acts.ensureTransactionLink({ tenantId: this.state.tenantId, ref: this.state.ref });
      this.adopt(linked);
      return linked;
    });
  }

  async apply(event: TransactionPaymentEvent): Promise<string> {
    const { state } = this;
    const { acts, excess, recovery } = this.use;
    const outcome = await acts.recordTransactionPayment({ tenantId: state.tenantId, ref: state.ref, event });
    switch (outcome) {
      case 'unknown':
        return 'ignored: unknown transaction';
      case 'duplicate':
      case 'failed':
        return outcome;
      case 'settled': {
        const settled = await acts.loadTransaction({ tenantId: state.tenantId, ref: state.ref });
        this.adopt(settled);
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
          reason: excessRefundReason(state.paidPaymentIntentId),
        });
        return `excess: refunded ${refunded.refundId ?? '(pending)'}`;
      }
    }
  }
}

/**
 * One per transaction (`transaction:<tenant>:<ref>`): the single place its money is decided. It opens Checkout
 * Sessions and its Payment Link on request, settles it with the first succeeded payment (a database constraint
 * decides which), stops its recovery campaign, and refunds every later payment in full.
 */
export async function transactionWorkflow(input: TransactionInput): Promise<TransactionState> {
  const options = activityOptions(input.retry);
  const attention = new Attention();
  const acts = attention.wrap(proxyActivities<TransactionActivities>(options));
  const transaction = new Transaction(
    {
      tenantId: input.tenantId,
      ref: input.ref,
      status: null,
      paidPaymentIntentId: null,
      seenEventIds: [...(input.carried?.seenEventIds ?? [])],
      eventLog: [...(input.carried?.eventLog ?? [])],
    },
    {
      acts,
      excess: attention.wrap(proxyActivities<ExcessPaymentActivities>(options)),
      recovery: attention.wrap(proxyActivities<RecoveryHookActivities>(options)),
    },
  );
  const { state, inbox } = transaction;

  setHandler(transactionStateQuery, () => state);
  setHandler(transactionPaymentSignal, (event) => {
    if (!inbox.offer(event)) log.info('duplicate transaction event ignored', { eventId: event.eventId });
  });
  setHandler(openCheckoutSessionUpdate, (request) => transaction.openCheckoutSession(request));
  setHandler(ensurePaymentLinkUpdate, (request) => transaction.ensurePaymentLink(request));

  transaction.adopt(await acts.loadTransaction({ tenantId: input.tenantId, ref: input.ref }));

  for (;;) {
    const seen = transaction.touches;
    const woke = await condition(() => inbox.hasPending || transaction.touches !== seen, IDLE_MS);
    for (let event = inbox.take(); event; event = inbox.take()) {
      let outcome: string;
      try {
        outcome = await transaction.apply(event);
      } catch (error) {
        outcome = rejectedEventOutcome(error, TRANSACTION_REJECTED_INPUT_PATCH, 'transaction event rejected', { ref: state.ref, eventId: event.eventId, type: event.type });
      }
      inbox.log({ eventId: event.eventId, type: event.type, outcome });
    }
    if (!woke) {
      await condition(allHandlersFinished);
      if (!inbox.hasPending) break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (!inbox.hasPending) {
        await continueAsNew<typeof transactionWorkflow>({ ...input, carried: { seenEventIds: state.seenEventIds, eventLog: state.eventLog } });
      }
    }
  }
  return state;
}
