import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../activities/excess-payments.js';
import type { ExcessPaymentInput, ExcessPaymentRecord } from '../activities/transaction-types.js';
import { activityOptions, type RetrySchedule } from './activity-options.js';
import { StatusKey, TenantIdKey } from './search-attributes.js';

export interface ExcessPaymentWorkflowInput extends ExcessPaymentInput {
  retry: RetrySchedule;
}

/**
 * A payment no item workflow owns that must go back (a parallel recovery charge from before campaigns sent each
 * item's own instrument). One per PaymentIntent (`excess-payment:<tenant>:<pi>`), so it is refunded once.
 */
export async function excessPaymentWorkflow(input: ExcessPaymentWorkflowInput): Promise<ExcessPaymentRecord> {
  const acts = proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry));
  upsertSearchAttributes([
    { key: TenantIdKey, value: input.tenantId },
    { key: StatusKey, value: 'refunding' },
  ]);
  const { retry: _retry, ...payment } = input;
  const record = await acts.refundExcessPayment(payment);
  upsertSearchAttributes([{ key: StatusKey, value: `refund_${record.refundStatus}` }]);
  return record;
}
