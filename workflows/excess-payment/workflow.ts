import { Attention } from '../shared/attention.js';
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ExcessPaymentActivities } from '../../activities/excess-payments.js';
import type { ExcessPaymentRecord } from '../../src/domain/transaction/contracts.js';
import { activityOptions } from '../activity-options.js';
import { StatusKey, TenantIdKey } from '../../src/domain/search-attributes.js';
import type { ExcessPaymentWorkflowInput } from './messages.js';
import { paymentOf, statusAfterRefund } from './rules.js';

/**
 * A payment no item workflow owns that must go back (a parallel recovery charge from before campaigns sent each
 * item's own instrument). One per PaymentIntent (`excess-payment:<tenant>:<pi>`), so it is refunded once.
 */
export async function excessPaymentWorkflow(input: ExcessPaymentWorkflowInput): Promise<ExcessPaymentRecord> {
  const acts = new Attention().wrap(proxyActivities<ExcessPaymentActivities>(activityOptions(input.retry)));
  upsertSearchAttributes([
    { key: TenantIdKey, value: input.tenantId },
    { key: StatusKey, value: 'refunding' },
  ]);
  const record = await acts.refundExcessPayment(paymentOf(input));
  upsertSearchAttributes([{ key: StatusKey, value: statusAfterRefund(record) }]);
  return record;
}
