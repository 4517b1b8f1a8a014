import { WorkflowUpdateFailedError } from '@temporalio/client';
import { formatMinorUnits, isChargeableAmount, isSupportedCurrency, minimumChargeAmount } from '../../../domain/money.js';
import { HttpProblem, problems } from '../../problem.js';
import { type FieldError } from '../../../domain/problem.js';
import { STRIPE_TRANSIENT_ERROR } from '../../../domain/retry/error-types.js';

/** Stripe's per-currency minimum and granularity, checked before the workflow is asked. */
export function amountErrors(amount: number, code: string, field = 'body.amount'): FieldError[] {
  if (!isSupportedCurrency(code)) return [{ field: 'body.currency', message: `${code} is not a supported currency` }];
  const errors: FieldError[] = [];
  const minimum = minimumChargeAmount(code);
  if (amount < minimum) errors.push({ field, message: `must be at least ${minimum} (${formatMinorUnits(minimum, code)} ${code.toUpperCase()})` });
  if (!isChargeableAmount(amount, code)) errors.push({ field, message: `${code.toUpperCase()} amounts must be multiples of 10 minor units` });
  return errors;
}

const CONFLICT_CODES = new Set(['order_already_paid', 'order_amount_mismatch', 'refund_exceeds_remaining', 'payment_not_refundable', 'no_payment_intent']);

/** Workflow rejections (validator or handler ApplicationFailure types) → problem details. */
export function orderUpdateProblem(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as { type?: string; message?: string; details?: unknown[] } | undefined;
    const type = cause?.type ?? 'update_rejected';
    const detail = cause?.message ?? error.message;
    const extra = (cause?.details?.[0] as Record<string, unknown> | undefined) ?? {};
    if (CONFLICT_CODES.has(type)) throw problems.conflict(type, detail, extra);
    if (type === STRIPE_TRANSIENT_ERROR) throw error; // the problem handler: 503 stripe_unavailable
    if (type === 'refund_failed' || type === 'stripe_error' || type === 'payment_intent_failed') throw new HttpProblem(502, type, detail, extra);
    if (type === 'invalid_amount' || type === 'invalid_request') throw new HttpProblem(400, type, detail);
    throw problems.conflict(type, detail, extra);
  }
  // Deadlines (upstream_timeout vs temporal_unavailable) and Temporal outages: the problem handler.
  throw error;
}
