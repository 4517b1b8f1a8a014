import { condition, log, uuid4 } from '@temporalio/workflow';
import type { RefundSummary } from '../../src/domain/order/contracts.js';
import { failureOf } from '../shared/rejection.js';
import { describeFailure, rejection } from './failures.js';
import type { OrderRefundState, RefundRequest } from './messages.js';
import type { OrderRun } from './order-run.js';
import { isRefundReplay, refundRejection, reservedRefund } from './rules.js';

export function validateRefundRequest(run: OrderRun, request: RefundRequest): void {
  if (!request.requestKey) throw rejection('invalid_request', 'requestKey is required');
  if (!run.hydrated) return;
  const rejected = refundRejection(run.state, request);
  if (rejected) throw failureOf(rejected);
}

/** refund: a replayed request key gets its first answer; a new one reserves its amount, then asks Stripe. */
export async function refund(run: OrderRun, request: RefundRequest): Promise<RefundSummary> {
  const { state } = run;
  run.touches++;
  await condition(() => run.hydrated);
  if (isRefundReplay(state, request.requestKey)) return replayRefund(run, request.requestKey);
  const rejected = refundRejection(state, request);
  if (rejected) throw failureOf(rejected);
  // Reserve synchronously, before any await, so concurrent refund updates see this amount as taken.
  const entry = reservedRefund(state, request, `rf_${uuid4().replaceAll('-', '')}`);
  state.refunds.push(entry);
  const work = performRefund(run, entry);
  run.refundsInFlight.set(request.requestKey, work);
  try {
    return await work;
  } finally {
    run.refundsInFlight.delete(request.requestKey);
  }
}

async function replayRefund(run: OrderRun, requestKey: string): Promise<RefundSummary> {
  const inFlight = run.refundsInFlight.get(requestKey);
  if (inFlight) return { ...(await inFlight), replayed: true };
  const existing = run.state.refunds.find((candidate) => candidate.requestKey === requestKey)!;
  if (existing.status === 'failed' && !existing.stripeRefundId) {
    throw rejection('refund_failed', existing.failureReason ?? 'the refund failed', { refund: existing });
  }
  return { ...existing, replayed: true };
}

async function performRefund(run: OrderRun, entry: OrderRefundState): Promise<RefundSummary> {
  const { state, acts } = run;
  try {
    const result = await acts.createRefund({
      tenantId: state.tenantId,
      orderId: state.orderId,
      refundRequestId: entry.id,
      requestKey: entry.requestKey,
      paymentIntentId: entry.paymentIntentId,
      amount: entry.amount,
      currency: entry.currency,
      reason: entry.reason,
      note: entry.note,
    });
    entry.stripeRefundId ??= result.stripeRefundId;
    // A refund.* event may have moved it meanwhile; only the reservation's own 'pending' is overwritten.
    if (entry.status === 'pending') {
      entry.status = result.status;
      if (result.failureReason) entry.failureReason = result.failureReason;
    }
    run.refreshRefundStatus();
    return { ...entry };
  } catch (error) {
    // Release the reservation and surface the failure to the caller.
    const failure = describeFailure(error);
    entry.status = 'failed';
    entry.failureReason = failure.message;
    log.warn('refund failed', { orderId: state.orderId, refundId: entry.id, error: failure.message });
    if (failure.type === 'RefundExceedsCapturedError') {
      throw rejection('refund_exceeds_remaining', failure.message, { refund: { ...entry } });
    }
    throw rejection('refund_failed', failure.message, { refund: { ...entry } });
  }
}
